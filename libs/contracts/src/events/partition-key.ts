import { NowcastEvent } from './event-types';

/**
 * The Kafka key of an event: its streamId where the type has one (so a stream's events stay in
 * order on one partition), else its userId (follows, impressions, erasure).
 */
export function partitionKeyOf(event: NowcastEvent): string {
  switch (event.type) {
    case 'stream.started':
    case 'stream.updated':
    case 'stream.heartbeat':
    case 'stream.ended':
    case 'stream.removed':
    case 'stream.expired':
    case 'view.started':
    case 'view.ended':
    case 'chat.message':
    case 'auction.started':
    case 'bid.placed':
    case 'purchase.completed':
    case 'giveaway.entered':
    case 'rec.clicked':
      return event.data.streamId;
    case 'seller.followed':
    case 'seller.unfollowed':
    case 'rec.impression':
    case 'user.erased':
      return event.data.userId;
  }
}
