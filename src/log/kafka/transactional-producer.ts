import { addPartitionsToTxnV3, type API, type Callback, kGetApi, Producer } from '@platformatic/kafka';

/**
 * A transactional producer that adds partitions to its transaction as a client must. The client
 * asks for the highest AddPartitionsToTxn version the broker offers, but versions 4 and up are the
 * brokers' own batched form (KIP-890): behind an ACL authorizer they need ClusterAction on the
 * cluster, a broker's privilege no role should hold, and are refused with
 * CLUSTER_AUTHORIZATION_FAILED. Version 3 takes the same arguments (one transaction) and needs only
 * Write on the transactional id and the topics, as Java's producer sends it.
 */
export class TransactionalProducer<Key = Buffer, Value = Buffer, HeaderKey = Buffer, HeaderValue = Buffer> extends Producer<Key, Value, HeaderKey, HeaderValue> {
  override [kGetApi]<RequestArguments extends Array<unknown>, ResponseType>(name: string, callback: Callback<API<RequestArguments, ResponseType>>): void {
    if (name === 'AddPartitionsToTxn') {
      callback(null, addPartitionsToTxnV3.api as unknown as API<RequestArguments, ResponseType>);
      return;
    }
    super[kGetApi](name, callback);
  }
}
