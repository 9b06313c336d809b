import { IsSafeId } from '../validation/decorators';

/** `seller.followed`: partitioned by userId (no stream involved). */
export class SellerFollowedData {
  @IsSafeId() userId!: string;
  @IsSafeId() sellerId!: string;
}

/** `seller.unfollowed`. */
export class SellerUnfollowedData {
  @IsSafeId() userId!: string;
  @IsSafeId() sellerId!: string;
}
