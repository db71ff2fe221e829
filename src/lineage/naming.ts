/**
 * Dataset identities after OpenLineage's naming spec (spec/Naming.md): the namespace is the
 * datasource (`scheme://authority`), the name the dataset inside it. The graph of `GET
 * /v1/lineage` and the RunEvents use the same identities, so a consumer can join the two.
 */
export interface DatasetId {
  namespace: string;
  name: string;
}

/** One string per dataset: namespace and name joined as the spec's URI (scheme://authority/path). */
export function datasetKey(d: DatasetId): string {
  return d.name.startsWith('/') ? `${d.namespace}${d.name}` : `${d.namespace}/${d.name}`;
}

export function jobKey(namespace: string, name: string): string {
  return `job:${namespace}/${name}`;
}

/**
 * Events of one source and type as they arrive over HTTP. The naming spec has no entry for HTTP
 * APIs; the ingest endpoint is the datasource and the contract subject names the dataset.
 */
export function sourceDataset(ingestEndpoint: string, source: string, type: string): DatasetId {
  return { namespace: ingestEndpoint.replace(/\/+$/, ''), name: `${source}.${type}` };
}

/** A topic: `kafka://host:port` + topic, or the embedded log's folder on this node (a remote file system in the spec). */
export function topicDataset(logNamespace: string, logDir: string | null, topic: string): DatasetId {
  return { namespace: logNamespace, name: logDir === null ? topic : `${logDir.replace(/\/+$/, '')}/${topic}` };
}

/**
 * A local file or folder. The spec's `file` namespace is for files on the emitting machine; the
 * events leave it (to Marquez), so the node names the file system: `file://<node>`.
 */
export function fileDataset(node: string, path: string): DatasetId {
  return { namespace: `file://${node}`, name: path };
}

/**
 * A table of the DuckDB hot store. The spec has no DuckDB entry; it follows the warehouse pattern
 * with the database file as the datasource and `{database}.{schema}.{table}` as the name, DuckDB
 * naming a file's database after its stem and its default schema `main`.
 */
export function duckDbTableDataset(node: string, file: string, table: string): DatasetId {
  const database = (file.split('/').pop() ?? file).replace(/\.[^.]*$/, '');
  // The path is part of the namespace, a URI: spaces and the like are percent-encoded.
  return { namespace: `duckdb://${node}${file.startsWith('/') ? '' : '/'}${encodeURI(file)}`, name: `${database}.main.${table}` };
}
