import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.format.Json;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * bench:cdc's Debezium side (scripts/bench-cdc.ts compiles and runs it): Debezium Embedded with the Postgres
 * connector, each change record produced to Kafka by this process' own KafkaProducer, one topic per table.
 *
 * args[0] is a properties file: `engine.*` keys configure the engine (prefix dropped), `producer.*` keys the producer.
 * Commands on stdin, one per line: `start` runs a fresh engine (it creates its slot when missing), `stop` closes it,
 * `count` asks how many records Kafka acknowledged so far; answered on stdout with `started`, `stopped <n>`, `count <n>`. End of stdin (the bench process went away) exits.
 * The JVM stays up between runs, so its JIT stays warm, as the relay's Node process does.
 */
public final class BenchDebezium {
    private static final AtomicLong produced = new AtomicLong();
    /** Set while `stop` closes the engine: a failure then (the async engine can reject work it is still polling) ends only that run. */
    private static volatile boolean closing = false;

    public static void main(String[] args) throws Exception {
        Properties all = new Properties();
        try (FileInputStream in = new FileInputStream(args[0])) {
            all.load(in);
        }
        Properties engineProps = subset(all, "engine.");
        Properties producerProps = subset(all, "producer.");
        KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        DebeziumEngine<ChangeEvent<String, String>> engine = null;
        Future<?> running = null;

        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = commands.readLine(); line != null; line = commands.readLine()) {
            switch (line.trim()) {
                case "start" -> {
                    // A fresh offset file: each run starts from its slot, which the bench drops after every run.
                    closing = false;
                    Files.deleteIfExists(Path.of(engineProps.getProperty("offset.storage.file.filename")));
                    engine = DebeziumEngine.create(Json.class)
                        .using(engineProps)
                        .notifying((records, committer) -> handleBatch(producer, records, committer))
                        .using((success, message, error) -> {
                            if (!success && closing) {
                                System.err.println("debezium engine failed while closing (ignored; the bench drops its slot): " + message);
                            } else if (!success) {
                                System.err.println("debezium engine failed: " + message);
                                if (error != null) error.printStackTrace();
                                System.exit(2);
                            }
                        })
                        .build();
                    running = executor.submit(engine);
                    System.out.println("started");
                }
                case "stop" -> {
                    if (engine != null) {
                        closing = true;
                        engine.close();
                        try {
                            running.get();
                        } catch (java.util.concurrent.ExecutionException e) {
                            System.err.println("debezium engine ended with an error while closing (ignored): " + e.getCause());
                        }
                        engine = null;
                        closing = false;
                    }
                    System.out.println("stopped " + produced.get());
                }
                case "count" -> System.out.println("count " + produced.get());
                default -> System.err.println("unknown command: " + line);
            }
            System.out.flush();
        }
        if (engine != null) engine.close();
        producer.close();
        executor.shutdownNow();
        System.exit(0);
    }

    /**
     * Sends the batch, waits for Kafka to acknowledge all of it (acks=all), and only then marks it processed, so the
     * offsets Debezium commits (and the LSN it confirms to Postgres) never pass what Kafka holds: at-least-once, as
     * the relay.
     */
    private static void handleBatch(
        KafkaProducer<String, String> producer,
        List<ChangeEvent<String, String>> records,
        DebeziumEngine.RecordCommitter<ChangeEvent<String, String>> committer
    ) throws InterruptedException {
        List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
        for (ChangeEvent<String, String> record : records) {
            if (record.value() == null) continue;
            sent.add(producer.send(new ProducerRecord<>(record.destination(), record.key(), record.value())));
        }
        for (Future<RecordMetadata> future : sent) {
            try {
                future.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new RuntimeException("Kafka refused a change record", e.getCause());
            }
        }
        produced.addAndGet(sent.size());
        for (ChangeEvent<String, String> record : records) committer.markProcessed(record);
        committer.markBatchFinished();
    }

    private static Properties subset(Properties all, String prefix) {
        Properties subset = new Properties();
        for (String name : all.stringPropertyNames()) {
            if (name.startsWith(prefix)) subset.setProperty(name.substring(prefix.length()), all.getProperty(name));
        }
        return subset;
    }
}
