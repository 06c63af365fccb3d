package dev.coordination.discovery.internal;

import java.time.Instant;
import java.util.Map;

import dev.coordination.discovery.InstanceStatus;
import dev.coordination.discovery.ServiceRecord;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The JSON of service records: what the starter writes reads back the same, records of other
 * writers are read leniently where lookups do not depend on them and strictly where they do.
 */
class ServiceRecordCodecTests {

	@Test
	void aRecordReadsBackAsWritten() {
		ServiceRecord record = new ServiceRecord("orders-1", "orders", "10.0.0.7", 8443, true, InstanceStatus.DOWN,
				"eu-1", Instant.parse("2026-12-06T10:15:30Z"), Map.of("team", "billing"));
		assertThat(ServiceRecordCodec.decode(ServiceRecordCodec.encode(record), "orders", "orders-1")).isEqualTo(record);
	}

	@Test
	void optionalFieldsMayBeAbsentAndUnknownFieldsAreIgnored() {
		ServiceRecord record = ServiceRecordCodec.decode(
				"{\"instanceId\":\"a\",\"serviceId\":\"orders\",\"host\":\"h\",\"port\":80,\"version\":7}", "orders", "a");
		assertThat(record.status()).isEqualTo(InstanceStatus.UP);
		assertThat(record.secure()).isFalse();
		assertThat(record.zone()).isNull();
		assertThat(record.startTime()).isNull();
		assertThat(record.metadata()).isEmpty();
	}

	@Test
	void aRecordStoredUnderAnotherNameIsRefused() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ServiceRecordCodec.decode(
					"{\"instanceId\":\"a\",\"serviceId\":\"payments\",\"host\":\"h\",\"port\":80}", "orders", "a"))
			.withMessageContaining("stored under service 'orders'");
	}

	@Test
	void whatLookupsDependOnIsCheckedNamingTheField() {
		assertThatIllegalArgumentException().isThrownBy(() -> ServiceRecordCodec.decode("not json", "o", "a"))
			.withMessageContaining("not valid JSON");
		assertThatIllegalArgumentException().isThrownBy(() -> ServiceRecordCodec.decode("[1]", "o", "a"))
			.withMessageContaining("not a JSON object");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ServiceRecordCodec.decode("{\"instanceId\":\"a\",\"serviceId\":\"o\",\"port\":80}", "o", "a"))
			.withMessageContaining("host");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ServiceRecordCodec
				.decode("{\"instanceId\":\"a\",\"serviceId\":\"o\",\"host\":\"h\",\"port\":70000}", "o", "a"))
			.withMessageContaining("'port' must be a number from 1 to 65535");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ServiceRecordCodec.decode(
					"{\"instanceId\":\"a\",\"serviceId\":\"o\",\"host\":\"h\",\"port\":80,\"status\":\"SLEEPY\"}", "o", "a"))
			.withMessageContaining("'status' must be one of UP, DOWN, OUT_OF_SERVICE");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ServiceRecordCodec.decode(
					"{\"instanceId\":\"a\",\"serviceId\":\"o\",\"host\":\"h\",\"port\":80,\"metadata\":{\"n\":1}}", "o", "a"))
			.withMessageContaining("metadata 'n' must be a string");
	}

}
