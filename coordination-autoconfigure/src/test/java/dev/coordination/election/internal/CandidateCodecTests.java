package dev.coordination.election.internal;

import java.util.Map;

import dev.coordination.election.Candidate;
import dev.coordination.session.internal.InstanceIdentity;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The value of an election key: this starter's candidates write their identity as JSON, and read
 * the plain values of {@code etcdctl elect} and Go services too.
 */
class CandidateCodecTests {

	@Test
	void anIdentityReadsBackWithTheKeysToken() {
		String value = CandidateCodec.encode(new InstanceIdentity("orders-1", "10.0.0.7", 8080, Map.of("zone", "eu-1")));
		assertThat(CandidateCodec.decode(value, 42))
			.isEqualTo(new Candidate("orders-1", "10.0.0.7", 8080, Map.of("zone", "eu-1"), 42));
	}

	@Test
	void anIdentityWithoutPortOrMetadataLeavesThemOut() {
		String value = CandidateCodec.encode("orders-1", "h", 0, Map.of());
		assertThat(value).isEqualTo("{\"instanceId\":\"orders-1\",\"host\":\"h\"}");
		assertThat(CandidateCodec.decode(value, 1).address()).isEqualTo("orders-1");
	}

	@Test
	void aPlainValueOfAnotherClientIsItsId() {
		Candidate plain = CandidateCodec.decode("my-value", 7);
		assertThat(plain.instanceId()).isEqualTo("my-value");
		assertThat(plain.host()).isNull();
		assertThat(plain.port()).isZero();
		assertThat(plain.token()).isEqualTo(7);
	}

	@Test
	void aValueThatOnlyLooksLikeJsonIsPlain() {
		assertThat(CandidateCodec.decode("{not json", 3).instanceId()).isEqualTo("{not json");
		assertThat(CandidateCodec.decode("{\"other\":1}", 3).instanceId()).isEqualTo("{\"other\":1}");
	}

}
