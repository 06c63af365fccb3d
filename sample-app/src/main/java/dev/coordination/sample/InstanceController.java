package dev.coordination.sample;

import java.util.stream.Collectors;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /}: who this instance is and which etcd cluster it talks to, in plain text.
 */
@RestController
class InstanceController {

	private final EtcdTemplate etcd;

	private final WebServerApplicationContext context;

	private final String applicationName;

	InstanceController(EtcdTemplate etcd, WebServerApplicationContext context,
			@Value("${spring.application.name}") String applicationName) {
		this.etcd = etcd;
		this.context = context;
		this.applicationName = applicationName;
	}

	@GetMapping(path = "/", produces = "text/plain")
	String whoAmI() {
		String me = "I am " + this.applicationName + " on port " + this.context.getWebServer().getPort() + ".\n";
		try {
			String members = this.etcd.members(this.etcd.getRequestTimeout())
				.stream()
				.map((member) -> member.getName() + " " + member.getClientURIs())
				.collect(Collectors.joining(", "));
			return me + "etcd members: " + members + "\n";
		}
		catch (EtcdAccessException ex) {
			return me + "etcd is not reachable: " + ex.getMessage() + "\n";
		}
	}

}
