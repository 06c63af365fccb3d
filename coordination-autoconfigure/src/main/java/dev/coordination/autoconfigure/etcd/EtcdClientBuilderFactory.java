package dev.coordination.autoconfigure.etcd;

import java.net.URI;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLException;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdEndpointProbe;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.EtcdStartupCheck;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslOptions;
import org.springframework.util.Assert;
import org.springframework.util.StringUtils;

/**
 * Builds the jetcd {@link ClientBuilder} from properties, connection details and customizers, and
 * checks reachability for fail-fast start-up.
 */
final class EtcdClientBuilderFactory {

	private EtcdClientBuilderFactory() {
	}

	static ClientBuilder builder(EtcdProperties properties, EtcdConnectionDetails connectionDetails,
			List<EtcdClientBuilderCustomizer> customizers) {
		ClientBuilder builder = Client.builder();
		// jetcd bakes the authority into the target when endpoints are set: it must come first.
		if (connectionDetails.getAuthority() != null) {
			builder.authority(connectionDetails.getAuthority());
		}
		List<URI> endpoints = connectionDetails.getEndpoints();
		builder.endpoints(endpoints);
		SslBundle sslBundle = connectionDetails.getSslBundle();
		if (sslBundle != null) {
			builder.sslContext(sslContext(sslBundle));
		}
		else if (endpoints.stream().anyMatch((endpoint) -> "https".equals(endpoint.getScheme()))) {
			// jetcd drops the scheme and would silently connect in plaintext.
			throw new IllegalStateException("etcd endpoints " + endpoints
					+ " use https:// but the connection details provide no SSL bundle");
		}
		if (connectionDetails.getUsername() != null) {
			String password = connectionDetails.getPassword();
			Assert.state(password != null, "The etcd connection details give a user name but no password");
			builder.user(EtcdKeys.bytes(connectionDetails.getUsername())).password(EtcdKeys.bytes(password));
		}
		if (StringUtils.hasText(properties.getNamespace())) {
			builder.namespace(EtcdKeys.bytes(properties.getNamespace()));
		}
		builder.connectTimeout(properties.getConnectTimeout())
			.keepaliveTime(properties.getKeepaliveTime())
			.keepaliveTimeout(properties.getKeepaliveTimeout())
			.retryChronoUnit(ChronoUnit.MILLIS)
			.retryDelay(properties.getRetry().getDelay().toMillis())
			.retryMaxDelay(properties.getRetry().getMaxDelay().toMillis())
			.maxInboundMessageSize((int) properties.getMaxInboundMessageSize().toBytes());
		customizers.forEach((customizer) -> customizer.customize(builder));
		return builder;
	}

	static SslContext sslContext(SslBundle bundle) {
		try {
			SslContextBuilder context = GrpcSslContexts.forClient()
				.trustManager(bundle.getManagers().getTrustManagerFactory())
				.keyManager(bundle.getManagers().getKeyManagerFactory());
			SslOptions options = bundle.getOptions();
			if (options.getCiphers() != null) {
				context.ciphers(Arrays.asList(options.getCiphers()));
			}
			if (options.getEnabledProtocols() != null) {
				context.protocols(options.getEnabledProtocols());
			}
			return context.build();
		}
		catch (SSLException ex) {
			throw new IllegalStateException("Could not build the TLS context for etcd from the SSL bundle: "
					+ ex.getMessage(), ex);
		}
	}

	static EtcdStartupCheck startupCheck(EtcdProperties properties, EtcdConnectionDetails connectionDetails) {
		SslBundle bundle = connectionDetails.getSslBundle();
		EtcdEndpointProbe probe = new EtcdEndpointProbe((bundle != null) ? bundle.createSslContext() : null,
				connectionDetails.getAuthority());
		return new EtcdStartupCheck(connectionDetails.getEndpoints(), properties.getConnectTimeout(),
				properties.getStartupGrace(), probe, connectionDetails.getUsername(), properties.getSsl().getBundle());
	}

	static void checkReachable(EtcdTemplate template, EtcdProperties properties,
			EtcdConnectionDetails connectionDetails) {
		startupCheck(properties, connectionDetails).call("Checking etcd at start-up (coordination.etcd.fail-fast=true)",
				"or set coordination.etcd.fail-fast=false to start without etcd and report it DOWN in health",
				template::members);
	}

}
