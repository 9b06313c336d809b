import { IsCurrencyCode, IsMoneyAmount, IsSafeId } from '../validation/decorators';

/** `auction.started`: an auction opened in the stream (amounts in major units, <= 4 decimals). */
export class AuctionStartedData {
  @IsSafeId() streamId!: string;
  @IsSafeId() auctionId!: string;
  @IsMoneyAmount() startingPrice!: number;
  @IsCurrencyCode() currency!: string;
}

/** `bid.placed`: a bid in an auction. */
export class BidPlacedData {
  @IsSafeId() userId!: string;
  @IsSafeId() streamId!: string;
  @IsSafeId() auctionId!: string;
  @IsMoneyAmount() amount!: number;
  @IsCurrencyCode() currency!: string;
}

/** `purchase.completed`: the user bought something in the stream (won auction or buy-now). */
export class PurchaseCompletedData {
  @IsSafeId() userId!: string;
  @IsSafeId() streamId!: string;
  @IsMoneyAmount() amount!: number;
  @IsCurrencyCode() currency!: string;
}
