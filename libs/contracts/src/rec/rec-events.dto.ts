import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Matches } from 'class-validator';
import { IsSafeId } from '../validation/decorators';
import { IMPRESSION_MAX_STREAMS, SAFE_ID_PATTERN } from '../validation/limits';

/** `rec.impression`: a feed page was shown; `requestId` is the recommender's response id. */
export class RecImpressionData {
  @IsSafeId() userId!: string;
  @IsSafeId() requestId!: string;
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(IMPRESSION_MAX_STREAMS)
  @IsString({ each: true })
  @Matches(SAFE_ID_PATTERN, {
    each: true,
    message: 'each value in $property must be 1-128 characters of A-Z a-z 0-9 . _ : -',
  })
  streamIds!: string[];
}

/** `rec.clicked`: the user opened a stream from a feed page. */
export class RecClickedData {
  @IsSafeId() userId!: string;
  @IsSafeId() requestId!: string;
  @IsSafeId() streamId!: string;
}
