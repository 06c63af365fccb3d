package dev.coordination.election.internal;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.coordination.election.Candidate;
import dev.coordination.session.internal.InstanceIdentity;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes this instance's identity as the value of its election key, and reads other candidates'
 * values, including plain values written by {@code etcdctl elect} or Go services.
 */
final class CandidateCodec {

	private static final JsonMapper json = JsonMapper.builder().build();

	private CandidateCodec() {
	}

	static String encode(InstanceIdentity identity) {
		return encode(identity.instanceId(), identity.host(), identity.port(), identity.metadata());
	}

	static String encode(String instanceId, @Nullable String host, int port, Map<String, String> metadata) {
		Map<String, Object> value = new LinkedHashMap<>();
		value.put("instanceId", instanceId);
		if (host != null) {
			value.put("host", host);
		}
		if (port > 0) {
			value.put("port", port);
		}
		if (metadata != null && !metadata.isEmpty()) {
			value.put("metadata", metadata);
		}
		return json.writeValueAsString(value);
	}

	static Candidate decode(String value, long token) {
		if (value.startsWith("{")) {
			try {
				JsonNode node = json.readTree(value);
				JsonNode instanceId = node.get("instanceId");
				if (instanceId != null && instanceId.isString()) {
					Map<String, String> metadata = new LinkedHashMap<>();
					JsonNode meta = node.get("metadata");
					if (meta != null && meta.isObject()) {
						meta.properties().forEach((entry) -> metadata.put(entry.getKey(), entry.getValue().asString()));
					}
					JsonNode host = node.get("host");
					JsonNode port = node.get("port");
					return new Candidate(instanceId.asString(), (host != null) ? host.asString() : null,
							(port != null && port.canConvertToInt()) ? port.intValue() : 0, metadata, token);
				}
			}
			catch (JacksonException ex) {
				// not ours: a plain value that happens to start with '{'
			}
		}
		return new Candidate(value, null, 0, Map.of(), token);
	}

}
