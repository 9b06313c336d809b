import { IsSafeId } from '../validation/decorators';

/** Base shape of every engagement event: who did it, in which stream. */
abstract class UserInStreamData {
  @IsSafeId() userId!: string;
  @IsSafeId() streamId!: string;
}

/** `view.started`: the user joined the stream. */
export class ViewStartedData extends UserInStreamData {}

/** `view.ended`: the user left the stream. */
export class ViewEndedData extends UserInStreamData {}

/** `chat.message`: the user chatted (the text is personal data we don't need, so it is not carried). */
export class ChatMessageData extends UserInStreamData {}

/** `giveaway.entered`: the user entered the stream's giveaway. */
export class GiveawayEnteredData extends UserInStreamData {}
