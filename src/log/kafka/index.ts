export { KafkaLog } from './kafka-log.js';
export type { KafkaLogOptions, KafkaTopicDefaults, KafkaTopicOverride } from './options.js';
