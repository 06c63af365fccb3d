package dev.coordination.discovery.internal;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.coordination.discovery.InstanceStatus;
import dev.coordination.discovery.ServiceRecord;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The JSON of a {@link ServiceRecord}. Reading is strict about what a lookup relies on (ids, host,
 * port, status) and ignores fields it does not know, so records of later versions still read.
 */
final class ServiceRecordCodec {

	private static final JsonMapper json = JsonMapper.builder().build();

	private ServiceRecordCodec() {
	}

	static String encode(ServiceRecord record) {
		ObjectNode node = json.createObjectNode();
		node.put("instanceId", record.instanceId());
		node.put("serviceId", record.serviceId());
		node.put("host", record.host());
		node.put("port", record.port());
		node.put("secure", record.secure());
		node.put("status", record.status().name());
		if (record.zone() != null) {
			node.put("zone", record.zone());
		}
		if (record.startTime() != null) {
			node.put("startTime", record.startTime().toString());
		}
		ObjectNode metadata = node.putObject("metadata");
		record.metadata().forEach(metadata::put);
		return json.writeValueAsString(node);
	}

	/**
	 * Read a record stored under {@code serviceId} and {@code instanceId}.
	 * @throws IllegalArgumentException naming what is wrong when the JSON is not a valid record of
	 * that instance
	 */
	static ServiceRecord decode(String value, String serviceId, String instanceId) {
		JsonNode node;
		try {
			node = json.readTree(value);
		}
		catch (JacksonException ex) {
			throw new IllegalArgumentException("not valid JSON (" + ex.getOriginalMessage() + ")");
		}
		if (node == null || !node.isObject()) {
			throw new IllegalArgumentException("not a JSON object");
		}
		String recordedService = text(node, "serviceId");
		String recordedInstance = text(node, "instanceId");
		if (!recordedService.equals(serviceId) || !recordedInstance.equals(instanceId)) {
			throw new IllegalArgumentException("names service '" + recordedService + "' instance '" + recordedInstance
					+ "' but is stored under service '" + serviceId + "' instance '" + instanceId + "'");
		}
		String host = text(node, "host");
		JsonNode port = node.get("port");
		if (port == null || !port.isIntegralNumber() || port.asInt() < 1 || port.asInt() > 65535) {
			throw new IllegalArgumentException("'port' must be a number from 1 to 65535");
		}
		JsonNode secure = node.get("secure");
		if (secure != null && !secure.isBoolean()) {
			throw new IllegalArgumentException("'secure' must be true or false");
		}
		String statusText = optionalText(node, "status");
		InstanceStatus status;
		try {
			status = (statusText != null) ? InstanceStatus.valueOf(statusText) : InstanceStatus.UP;
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException("'status' must be one of UP, DOWN, OUT_OF_SERVICE, not '" + statusText + "'");
		}
		String startText = optionalText(node, "startTime");
		Instant startTime;
		try {
			startTime = (startText != null) ? Instant.parse(startText) : null;
		}
		catch (DateTimeParseException ex) {
			throw new IllegalArgumentException("'startTime' must be an ISO-8601 instant, not '" + startText + "'");
		}
		Map<String, String> metadata = new LinkedHashMap<>();
		JsonNode metadataNode = node.get("metadata");
		if (metadataNode != null && !metadataNode.isNull()) {
			if (!metadataNode.isObject()) {
				throw new IllegalArgumentException("'metadata' must be an object of strings");
			}
			for (Map.Entry<String, JsonNode> entry : metadataNode.properties()) {
				if (!entry.getValue().isString()) {
					throw new IllegalArgumentException("metadata '" + entry.getKey() + "' must be a string");
				}
				metadata.put(entry.getKey(), entry.getValue().asString());
			}
		}
		return new ServiceRecord(recordedInstance, recordedService, host, port.asInt(),
				secure != null && secure.asBoolean(), status, optionalText(node, "zone"), startTime, metadata);
	}

	private static String text(JsonNode node, String field) {
		String text = optionalText(node, field);
		if (text == null) {
			throw new IllegalArgumentException("'" + field + "' is missing");
		}
		if (text.isBlank()) {
			throw new IllegalArgumentException("'" + field + "' must be a non-empty string");
		}
		return text;
	}

	private static @Nullable String optionalText(JsonNode node, String field) {
		JsonNode value = node.get(field);
		if (value == null || value.isNull()) {
			return null;
		}
		if (!value.isString()) {
			throw new IllegalArgumentException("'" + field + "' must be a non-empty string");
		}
		return value.asString();
	}

}
