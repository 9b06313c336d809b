import { AggregateStateRepository } from '../../metrics-aggregator/src/state/aggregate-state.repository';
import {
  AggregatedUserRows,
  UserStateSource,
} from '../../recommender-api/src/user-state/in-memory-user-state.repository';
import { InMemoryUserVectors } from './in-memory-user-vectors';

/**
 * What the recommender's in-memory user-state twin reads in the one-process mode: the
 * aggregator's in-memory repository (the same state its Redis twin keeps under `agg:u:<id>:*`)
 * and the writer's in-memory user vectors. Bound once the workers have started; until then the
 * twin answers degraded.
 */
export class NowcastUserStateSource {
  private bound: UserStateSource | null = null;

  readonly current = (): UserStateSource | null => this.bound;

  bind(aggregator: AggregateStateRepository, vectors: InMemoryUserVectors): void {
    this.bound = {
      readUser: (userId): Promise<AggregatedUserRows> => aggregator.readUser(userId),
      userVector: (userId) => vectors.vectorOf(userId),
    };
  }
}
