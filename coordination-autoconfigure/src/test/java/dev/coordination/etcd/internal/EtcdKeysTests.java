package dev.coordination.etcd.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class EtcdKeysTests {

	@Test
	void segmentEncodesSlashPercentAndControlCharactersOnly() {
		assertThat(EtcdKeys.segment("lock key", "orders/42")).isEqualTo("orders%2F42");
		assertThat(EtcdKeys.segment("lock key", "50%")).isEqualTo("50%25");
		assertThat(EtcdKeys.segment("lock key", "a\nb")).isEqualTo("a%0Ab");
		assertThat(EtcdKeys.segment("lock key", "année 2026 ✓")).isEqualTo("année 2026 ✓");
	}

	@ParameterizedTest
	@ValueSource(strings = { "orders/42", "50%", "a\nb", "..", "año/😀/%2F", "%", "a%2" })
	void nameDecodesWhatSegmentEncoded(String name) {
		assertThat(EtcdKeys.name(EtcdKeys.segment("lock key", name))).isEqualTo(name);
	}

	@Test
	void distinctNamesNeverShareAKeyRange() {
		String parent = EtcdKeys.key("/locks", EtcdKeys.segment("lock key", "orders")) + "/";
		String child = EtcdKeys.key("/locks", EtcdKeys.segment("lock key", "orders/42")) + "/";
		assertThat(child).doesNotStartWith(parent);
	}

	@Test
	void emptyOrNullNameIsRejectedNamingTheKind() {
		assertThatIllegalArgumentException().isThrownBy(() -> EtcdKeys.segment("election name", ""))
			.withMessage("election name must not be null or empty");
		assertThatIllegalArgumentException().isThrownBy(() -> EtcdKeys.segment("election name", null))
			.withMessage("election name must not be null or empty");
	}

	@Test
	void prefixIsNormalisedWithoutTrailingSlash() {
		assertThat(EtcdKeys.prefix("coordination.etcd.lock.prefix", "/locks/")).isEqualTo("/locks");
		assertThat(EtcdKeys.prefix("coordination.etcd.lock.prefix", "/")).isEqualTo("/");
		assertThat(EtcdKeys.key("/", "a")).isEqualTo("/a");
		assertThat(EtcdKeys.key("/locks", "a", "b")).isEqualTo("/locks/a/b");
	}

	@Test
	void prefixWithoutLeadingSlashIsRejectedNamingTheProperty() {
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> EtcdKeys.prefix("coordination.etcd.lock.prefix", "locks"))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("coordination.etcd.lock.prefix"))
			.withMessageContaining("Must start with '/'");
	}

	@Test
	void leaseHexMatchesGoConcurrencyLayout() {
		assertThat(EtcdKeys.leaseHex(0x694d7a1b2c3d4e5fL)).isEqualTo("694d7a1b2c3d4e5f");
		assertThat(EtcdKeys.leaseHex(255)).isEqualTo("ff");
	}

}
