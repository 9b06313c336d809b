import { IsSafeId } from '../validation/decorators';

/** `user.erased` (admin-only): every service erases this user's state. */
export class UserErasedData {
  @IsSafeId() userId!: string;
}
