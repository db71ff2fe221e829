package dev.sightline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The Kafka Streams peer of Sightline's page-view pipeline, for bench/kafka-peer.bench.ts.
 *
 * <p>Input: JSON envelopes {id, source, type, timestamp, payload: {user_id, page}, metadata}
 * keyed by event id. Dedup by event id within 5 minutes of event time, then page views per
 * payload.page in 1-minute tumbling event-time windows with 1 minute of grace, written to the
 * output topic as key "page@windowStartMs", value the count (the latest record per key is the
 * window's count). Exactly-once v2 by default.
 *
 * <p>The harness reads stdout: "FIRST epochMs" when the first input record is processed, "DONE
 * json" once N input records were consumed and every event that survived dedup went through the
 * aggregation, "CLOSED json" after the final commit. Anything else (Streams' logs) goes to stderr.
 */
public final class PageViewCounts {
  static final String DEDUP_STORE = "dedup-by-event-id";
  static final String COUNT_STORE = "page-views-1m";
  static final long DEDUP_WINDOW_MS = Duration.ofMinutes(5).toMillis();
  // Ids are kept for twice the window, so an id whose repeat is 5 minutes later in event time,
  // read after stream time moved on through out-of-order records, is still there.
  static final Duration DEDUP_RETENTION = Duration.ofMinutes(10);
  static final Duration WINDOW = Duration.ofMinutes(1);
  /** Sightline's allowed lateness; the bench passes --grace-ms to widen it (see BENCHMARKS.md). */
  static Duration grace = Duration.ofMinutes(1);

  private static final ObjectMapper MAPPER = new ObjectMapper();

  // Progress counters shared by the stream threads and main; atomics since there may be several threads.
  static final AtomicLong input = new AtomicLong();
  static final AtomicLong duplicates = new AtomicLong();
  static final AtomicLong undecodable = new AtomicLong();
  static final AtomicLong forwarded = new AtomicLong();
  /** Records that reached the dedup after the repartition (repeats included). */
  static final AtomicLong aggregated = new AtomicLong();
  static final AtomicLong firstNanos = new AtomicLong();
  static final AtomicLong lastNanos = new AtomicLong();
  static final CountDownLatch done = new CountDownLatch(1);
  static long expected;

  private PageViewCounts() {}

  /** N input records consumed and every one of them through dedup and the count: the work is all done. */
  static void checkDone() {
    if (input.get() >= expected && aggregated.get() == forwarded.get() && done.getCount() > 0) {
      lastNanos.compareAndSet(0, System.nanoTime());
      done.countDown();
    }
  }

  /**
   * Parses each envelope and re-keys it by page, with the event id as value and the event time
   * as the record's timestamp, so everything downstream works in event time. Stateless, so all
   * input tasks start at once: a stateful first stage (dedup here, before the repartition) let
   * tasks start as their state became ready, the first ones ran a minute of event time ahead, and
   * the windows downstream dropped the others' first records as late.
   */
  static final class ByPage implements Processor<String, byte[], String, String> {
    private ProcessorContext<String, String> context;

    @Override
    public void init(ProcessorContext<String, String> context) {
      this.context = context;
    }

    @Override
    public void process(Record<String, byte[]> record) {
      if (firstNanos.get() == 0 && firstNanos.compareAndSet(0, System.nanoTime())) {
        System.out.println("FIRST " + System.currentTimeMillis());
      }
      try {
        JsonNode event = MAPPER.readTree(record.value());
        String id = event.get("id").asText();
        long timestamp = event.get("timestamp").asLong();
        String page = event.get("payload").get("page").asText();
        forwarded.incrementAndGet();
        context.forward(new Record<>(page, id, timestamp));
      } catch (IOException | RuntimeException e) {
        // Sightline dead-letters these; the bench produces none, so counting them is enough.
        undecodable.incrementAndGet();
      } finally {
        // Last, so that once input reaches N every forward is already counted.
        input.incrementAndGet();
        checkDone();
      }
    }
  }

  /**
   * Drops an event whose id was already seen with an event time within 5 minutes of its own. It
   * runs after the repartition by page: every repeat of an id has the same page, so the same task
   * sees them all. The store maps id → event time of its first sighting; every minute of stream
   * time, ids older than stream time minus DEDUP_RETENTION are deleted (as Sightline evicts its
   * per-minute buckets behind the watermark). A window store's fetch(id, t-5m, t+5m) would say the
   * same, but the in-memory one walks every timestamp in the range per lookup, and the RocksDB one
   * opens a database per segment.
   */
  static final class Dedup implements FixedKeyProcessor<String, String, Long> {
    private FixedKeyProcessorContext<String, Long> context;
    private KeyValueStore<String, Long> seen;

    @Override
    public void init(FixedKeyProcessorContext<String, Long> context) {
      this.context = context;
      this.seen = context.getStateStore(DEDUP_STORE);
      context.schedule(Duration.ofMinutes(1), PunctuationType.STREAM_TIME, this::evict);
    }

    private void evict(long streamTime) {
      long before = streamTime - DEDUP_RETENTION.toMillis();
      List<String> expired = new ArrayList<>();
      try (KeyValueIterator<String, Long> all = seen.all()) {
        while (all.hasNext()) {
          KeyValue<String, Long> entry = all.next();
          if (entry.value < before) expired.add(entry.key);
        }
      }
      for (String id : expired) seen.delete(id);
    }

    @Override
    public void process(FixedKeyRecord<String, String> record) {
      try {
        String id = record.value();
        long timestamp = record.timestamp();
        Long earlier = seen.get(id);
        if (earlier != null && Math.abs(timestamp - earlier) <= DEDUP_WINDOW_MS) {
          duplicates.incrementAndGet();
          return;
        }
        seen.put(id, timestamp);
        context.forward(record.withValue(timestamp));
      } finally {
        // After the forward: the count below has then taken this record.
        aggregated.incrementAndGet();
        checkDone();
      }
    }
  }

  /**
   * In memory (the default) or RocksDB; both are logged to a changelog topic, so either survives a
   * restart or a rebalance. A RocksDB window store opens one database per segment: replaying an
   * hour of event time in seconds opens and drops dozens of them per task, which then dominates.
   */
  static WindowBytesStoreSupplier windowStore(boolean rocksdb, String name, Duration retention, Duration size) {
    return rocksdb ? Stores.persistentWindowStore(name, retention, size, false) : Stores.inMemoryWindowStore(name, retention, size, false);
  }

  static Topology topology(String inputTopic, String outputTopic, boolean rocksdb) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(rocksdb ? Stores.persistentKeyValueStore(DEDUP_STORE) : Stores.inMemoryKeyValueStore(DEDUP_STORE), Serdes.String(), Serdes.Long()));
    builder
        .stream(inputTopic, Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .process(ByPage::new)
        .repartition(Repartitioned.<String, String>as("by-page").withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
        // processValues keeps the key, so the count below needs no second repartition.
        .processValues(Dedup::new, DEDUP_STORE)
        .groupByKey(Grouped.with(Serdes.String(), Serdes.Long()))
        .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW, grace))
        // Retention = size + grace, the least Streams accepts and what the DSL would choose itself.
        .count(Materialized.<String, Long>as(windowStore(rocksdb, COUNT_STORE, WINDOW.plus(grace), WINDOW)).withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
        .toStream()
        .map((window, count) -> KeyValue.pair(window.key() + "@" + window.window().start(), Long.toString(count)))
        .to(outputTopic, Produced.with(Serdes.String(), Serdes.String()));
    return builder.build();
  }

  private static Map<String, String> parseArgs(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected --name value, got " + args[i]);
      options.put(args[i].substring(2), args[i + 1]);
    }
    for (String required : new String[] {"bootstrap", "input", "output", "records", "state-dir"}) {
      if (!options.containsKey(required)) throw new IllegalArgumentException("--" + required + " is required");
    }
    return options;
  }

  /** Records the tasks dropped: late for their window (after the grace) or with a bad timestamp. */
  private static double droppedRecords(KafkaStreams streams) {
    double total = 0;
    for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
      MetricName name = e.getKey();
      if (name.name().equals("dropped-records-total") && name.group().equals("stream-task-metrics")) {
        total += ((Number) e.getValue().metricValue()).doubleValue();
      }
    }
    return total;
  }

  /**
   * Commits offset 0 for every input partition in the application's (still empty) group, so that
   * all tasks learn their positions in one request when they start. Left to auto.offset.reset,
   * positions arrived partition by partition, and the first tasks to get data ran a minute of
   * event time ahead of the rest: the first windows then lost records as late.
   */
  static void startAtBeginning(Properties props, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, props.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)))) {
      int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      for (int p = 0; p < partitions; p++) offsets.put(new TopicPartition(topic, p), new OffsetAndMetadata(0));
      admin.alterConsumerGroupOffsets((String) props.get(StreamsConfig.APPLICATION_ID_CONFIG), offsets).all().get();
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = parseArgs(args);
    expected = Long.parseLong(options.get("records"));
    String guarantee = options.getOrDefault("guarantee", StreamsConfig.EXACTLY_ONCE_V2);
    grace = Duration.ofMillis(Long.parseLong(options.getOrDefault("grace-ms", "60000")));

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, options.getOrDefault("application-id", "sightline-bench-page-views"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, options.get("bootstrap"));
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, options.getOrDefault("threads", "1"));
    props.put(StreamsConfig.STATE_DIR_CONFIG, options.get("state-dir"));
    // 100 ms is Streams' own default under exactly-once; passed explicitly so the bench can say it.
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, options.getOrDefault("commit-ms", "100"));
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, options.getOrDefault("replication", "1"));
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    // Replaying a backlog, one input task can run ahead of the others by what it has buffered (up
    // to 1,000 records per partition and a 1 MiB fetch by default, about a minute of event time
    // here, more while tasks start one after another): the windows downstream then see stream
    // time jump and drop the other partitions' records as late. Smaller per-partition fetches and
    // buffers keep the 12 input partitions within seconds of event time of each other.
    props.put(StreamsConfig.consumerPrefix("max.partition.fetch.bytes"), options.getOrDefault("fetch-bytes", "16384"));
    props.put(StreamsConfig.consumerPrefix("max.poll.records"), options.getOrDefault("max-poll-records", "250"));
    props.put("buffered.records.per.partition", options.getOrDefault("buffered-records", "100"));
    // With the state updater (on by default since 3.8) each task starts processing as soon as it is
    // ready, so the first ones run ahead of the rest; off, the thread starts all tasks together.
    // Measured on 1M records: 11,772 dropped as late with it, 185 without. An internal setting.
    props.put("__state.updater.enabled__", options.getOrDefault("state-updater", "false"));

    String stores = options.getOrDefault("stores", "memory");
    if (!stores.equals("memory") && !stores.equals("rocksdb")) throw new IllegalArgumentException("--stores is memory or rocksdb");
    Topology topology = topology(options.get("input"), options.get("output"), stores.equals("rocksdb"));
    System.err.println(topology.describe());
    startAtBeginning(props, options.get("input"));
    KafkaStreams streams = new KafkaStreams(topology, props);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    streams.setUncaughtExceptionHandler(error -> {
      failure.compareAndSet(null, error);
      done.countDown();
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.ERROR) done.countDown();
    });
    streams.start();

    long timeoutSeconds = Long.parseLong(options.getOrDefault("timeout-s", "1800"));
    boolean finished = done.await(timeoutSeconds, TimeUnit.SECONDS);
    if (failure.get() != null || !finished || lastNanos.get() == 0) {
      String why = failure.get() != null ? failure.get().toString() : finished ? "streams went to ERROR" : "timed out after " + timeoutSeconds + " s";
      System.out.println("FAILED " + MAPPER.writeValueAsString(Map.of("reason", why, "input", input.get(), "forwarded", forwarded.get(), "aggregated", aggregated.get())));
      streams.close(Duration.ofSeconds(10));
      System.exit(1);
    }
    double elapsedMs = (lastNanos.get() - firstNanos.get()) / 1e6;
    Map<String, Object> result = new HashMap<>();
    result.put("records", input.get());
    result.put("duplicates", duplicates.get());
    result.put("undecodable", undecodable.get());
    result.put("counted", forwarded.get() - duplicates.get());
    result.put("elapsedMs", elapsedMs);
    result.put("recordsPerSecond", input.get() / (elapsedMs / 1000));
    result.put("droppedRecords", droppedRecords(streams));
    result.put("guarantee", guarantee);
    result.put("stores", stores);
    result.put("graceMs", grace.toMillis());
    System.out.println("DONE " + MAPPER.writeValueAsString(result));

    // close() commits what is still open (under exactly-once, the last transaction), so the counts
    // on the output topic are final once it returns.
    long closing = System.nanoTime();
    boolean closed = streams.close(Duration.ofSeconds(60));
    double closeMs = (System.nanoTime() - closing) / 1e6;
    System.out.println("CLOSED " + MAPPER.writeValueAsString(Map.of("closeMs", closeMs, "clean", closed)));
    System.out.println(String.format(Locale.ROOT, "kstreams-peer: %d records in %.0f ms, %.0f records/s (%s)", input.get(), elapsedMs, input.get() / (elapsedMs / 1000), guarantee));
    System.exit(closed ? 0 : 1);
  }
}
