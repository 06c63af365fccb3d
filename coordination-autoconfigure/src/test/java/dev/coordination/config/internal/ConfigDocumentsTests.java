package dev.coordination.config.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.google.protobuf.ByteString;
import dev.coordination.config.internal.ConfigDocuments.InvalidConfigDocumentException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The configuration document parser, without etcd.
 */
class ConfigDocumentsTests {

	@Test
	void keyValueIsOnePropertyPerKeyUnderTheContextOnly() {
		EtcdConfigDataResource orders = context("orders", "key-value");
		Map<String, Object> properties = ConfigDocuments.properties(orders,
				List.of(kv("/config/orders/database/host", "db.example", 5), kv("/config/orders/timeout", "", 6),
						kv("/config/orders/", "the context key itself", 7),
						kv("/config/orders,dev/database/host", "another context", 8),
						kv("/config/orders-2/greeting", "another context", 9)));
		assertThat(properties).containsExactly(Map.entry("database.host", "db.example"), Map.entry("timeout", ""));
	}

	@Test
	void keyValueKeepsNamesThatAreNotPropertyNamesAsTheyAre() {
		Map<String, Object> properties = ConfigDocuments.properties(context("orders", "key-value"),
				List.of(kv("/config/orders/greeting/[bad", "x", 5), kv("/config/orders//double", "x", 6),
						kv("/config/orders/greeting/maxSize", "8", 7)));
		assertThat(properties).containsOnlyKeys("greeting.[bad", ".double", "greeting.maxSize");
	}

	@Test
	void yamlIsOneDocumentInTheDataKeyWithValuesAsText() {
		Map<String, Object> properties = ConfigDocuments.properties(context("orders", "yaml"),
				List.of(kv("/config/orders/data", "greeting:\n  message: hi\n  timeout: 5\nnames: [a, b]\n", 5),
						kv("/config/orders/other", "ignored: true\n", 6)));
		assertThat(properties).containsExactly(Map.entry("greeting.message", "hi"), Map.entry("greeting.timeout", "5"),
				Map.entry("names[0]", "a"), Map.entry("names[1]", "b"));
	}

	@Test
	void ofAYamlFileWithSeveralDocumentsTheLaterWins() {
		Map<String, Object> properties = ConfigDocuments.properties(context("orders", "yaml"),
				List.of(kv("/config/orders/data", "greeting: first\nonly: first\n---\ngreeting: second\n", 5)));
		assertThat(properties).containsEntry("greeting", "second").containsEntry("only", "first");
	}

	@Test
	void propertiesIsOneDocumentInTheDataKey() {
		EtcdConfigDataResource orders = new EtcdConfigDataResource("orders", "/config/", "/config/orders/", 0, false,
				"properties", "settings");
		Map<String, Object> properties = ConfigDocuments.properties(orders,
				List.of(kv("/config/orders/settings", "greeting=hello\ntimeout = 2s\n", 5),
						kv("/config/orders/data", "ignored=true", 6)));
		assertThat(properties).containsExactly(Map.entry("greeting", "hello"), Map.entry("timeout", "2s"));
	}

	@Test
	void aContextWithoutItsDataKeyHasNoProperties() {
		assertThat(ConfigDocuments.properties(context("orders", "yaml"), List.of())).isEmpty();
	}

	@Test
	void aValueThatIsNotUtf8IsRefusedNamingItsKeyAndRevision() {
		KeyValue bad = kv("/config/orders/greeting", new byte[] { 'h', 'i', (byte) 0xFF }, 12);
		assertThatExceptionOfType(InvalidConfigDocumentException.class)
			.isThrownBy(() -> ConfigDocuments.properties(context("orders", "key-value"), List.of(bad)))
			.withMessage("The value at /config/orders/greeting (revision 12) is not valid UTF-8; configuration in"
					+ " etcd must be UTF-8 text.")
			.satisfies((ex) -> {
				assertThat(ex.key()).isEqualTo("/config/orders/greeting");
				assertThat(ex.revision()).isEqualTo(12);
			});
	}

	@Test
	void aDocumentThatIsNotUtf8IsRefusedNamingItsKey() {
		KeyValue bad = kv("/config/orders/data", new byte[] { 'a', ':', ' ', (byte) 0xC3, (byte) 0x28 }, 3);
		assertThatExceptionOfType(InvalidConfigDocumentException.class)
			.isThrownBy(() -> ConfigDocuments.properties(context("orders", "yaml"), List.of(bad)))
			.withMessageContaining("/config/orders/data (revision 3) is not valid UTF-8");
	}

	@Test
	void aDocumentThatDoesNotParseIsRefusedNamingItsKeyRevisionAndFormat() {
		KeyValue bad = kv("/config/orders/data", "greeting: [unclosed\n", 42);
		assertThatExceptionOfType(InvalidConfigDocumentException.class)
			.isThrownBy(() -> ConfigDocuments.properties(context("orders", "yaml"), List.of(bad)))
			.withMessageStartingWith("The yaml document at /config/orders/data (revision 42) cannot be read: ")
			.withMessageEndingWith(". Fix it in etcd, or set coordination.etcd.config.format to how it is stored.")
			.satisfies((ex) -> assertThat(ex.key()).isEqualTo("/config/orders/data"));
	}

	@Test
	void aDocumentNotYetInEtcdIsNamedWithoutRevision() {
		assertThatExceptionOfType(InvalidConfigDocumentException.class)
			.isThrownBy(() -> ConfigDocuments.document("yaml", "/config/orders/data", 0, "a: [unclosed"))
			.withMessageStartingWith("The yaml document at /config/orders/data cannot be read: ");
	}

	@Test
	void anUnknownFormatIsRefusedNamingTheFormats() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConfigDocuments.properties(context("orders", "json"),
					List.of(kv("/config/orders/data", "{}", 5))))
			.withMessage("Unknown configuration format 'json': must be one of [key-value, yaml, properties]");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConfigDocuments.document("key-value", "/config/orders/data", 5, "a=b"))
			.withMessage("Unknown document format 'key-value': must be yaml or properties");
	}

	static EtcdConfigDataResource context(String name, String format) {
		return new EtcdConfigDataResource(name, "/config/", "/config/" + name + "/", 0, false, format, "data");
	}

	static KeyValue kv(String key, String value, long revision) {
		return kv(key, value.getBytes(StandardCharsets.UTF_8), revision);
	}

	static KeyValue kv(String key, byte[] value, long revision) {
		return new KeyValue(io.etcd.jetcd.api.KeyValue.newBuilder()
			.setKey(ByteString.copyFromUtf8(key))
			.setValue(ByteString.copyFrom(value))
			.setCreateRevision(revision)
			.setModRevision(revision)
			.setVersion(1)
			.build(), ByteSequence.EMPTY);
	}

}
