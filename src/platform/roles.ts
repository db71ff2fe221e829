/** The layers a process runs: all three in `sightline up`, any one or two per process on Kafka. */
export type Role = 'ingest' | 'process' | 'serve';
export const ALL_ROLES: readonly Role[] = ['ingest', 'process', 'serve'];
