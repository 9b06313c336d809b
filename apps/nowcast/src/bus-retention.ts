import { COMPACTED_TOPICS, TopicRole } from '@app/contracts';
import { InProcessTopicPolicy } from '@app/kafka';

/**
 * What the one-process bus keeps of each topic. Nothing reads a topic's history there but its own
 * consumers, which started with the process and keep up within milliseconds, so the event topics
 * and the lifecycle feed keep their last two minutes and the compacted feeds their last record per
 * key (superseded ones go after a minute): memory follows the live world, not the hours run.
 */
export function busRetentionOf(role: TopicRole): InProcessTopicPolicy {
  return COMPACTED_TOPICS.includes(role)
    ? { compacted: true, retentionMs: 60_000 }
    : { retentionMs: 120_000 };
}
