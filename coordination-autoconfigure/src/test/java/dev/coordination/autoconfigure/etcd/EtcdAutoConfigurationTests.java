package dev.coordination.autoconfigure.etcd;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

import static dev.coordination.etcd.internal.EtcdKeys.bytes;
import static org.assertj.core.api.Assertions.assertThat;

class EtcdAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, EtcdAutoConfiguration.class));

	@Test
	void defaultsCreateClientTemplateAndPropertiesConnectionDetails() {
		this.contextRunner.withUserConfiguration(CapturingCustomizerConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(Client.class)
				.hasSingleBean(EtcdTemplate.class)
				.hasSingleBean(PropertiesEtcdConnectionDetails.class);
			assertThat(context.getBean(EtcdConnectionDetails.class).getEndpoints())
				.containsExactly(URI.create("http://127.0.0.1:2379"));
			ClientBuilder builder = captured(context);
			assertThat(builder.target()).isEqualTo("ip:///127.0.0.1:2379");
			assertThat(builder.namespace()).isEqualTo(ByteSequence.EMPTY);
			assertThat(builder.user()).isNull();
			assertThat(builder.sslContext()).isNull();
			assertThat(builder.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
			assertThat(builder.keepaliveTime()).isEqualTo(Duration.ofSeconds(30));
			assertThat(builder.keepaliveTimeout()).isEqualTo(Duration.ofSeconds(10));
			assertThat(builder.retryDelay()).isEqualTo(100);
			assertThat(builder.retryMaxDelay()).isEqualTo(1000);
			assertThat(context.getBean(RetryPolicy.class)).isEqualTo(RetryPolicy.DEFAULT);
			assertThat(builder.maxInboundMessageSize()).isEqualTo(4 * 1024 * 1024);
			assertThat(context.getBean(EtcdTemplate.class).getRequestTimeout()).isEqualTo(Duration.ofSeconds(5));
		});
	}

	@Test
	void everyPropertyIsAppliedToTheClientBuilder() {
		this.contextRunner.withUserConfiguration(CapturingCustomizerConfiguration.class)
			.withPropertyValues("coordination.etcd.endpoints=http://10.0.0.1:2379,http://10.0.0.2:2479",
					"coordination.etcd.namespace=/team", "coordination.etcd.username=app",
					"coordination.etcd.password=secret", "coordination.etcd.authority=etcd.internal",
					"coordination.etcd.connect-timeout=2s", "coordination.etcd.request-timeout=3s",
					"coordination.etcd.keepalive-time=20s", "coordination.etcd.keepalive-timeout=4s",
					"coordination.etcd.retry.delay=200ms", "coordination.etcd.retry.max-delay=3s",
					"coordination.etcd.max-inbound-message-size=16MB")
			.run((context) -> {
				ClientBuilder builder = captured(context);
				assertThat(builder.target()).isEqualTo("ip://etcd.internal/10.0.0.1:2379,10.0.0.2:2479");
				assertThat(builder.authority()).isEqualTo("etcd.internal");
				assertThat(builder.namespace()).isEqualTo(bytes("/team"));
				assertThat(builder.user()).isEqualTo(bytes("app"));
				assertThat(builder.password()).isEqualTo(bytes("secret"));
				assertThat(builder.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
				assertThat(builder.keepaliveTime()).isEqualTo(Duration.ofSeconds(20));
				assertThat(builder.keepaliveTimeout()).isEqualTo(Duration.ofSeconds(4));
				assertThat(builder.retryDelay()).isEqualTo(200);
				assertThat(builder.retryMaxDelay()).isEqualTo(3000);
				assertThat(context.getBean(RetryPolicy.class))
					.isEqualTo(new RetryPolicy(Duration.ofMillis(200), Duration.ofSeconds(3)));
				assertThat(builder.maxInboundMessageSize()).isEqualTo(16 * 1024 * 1024);
				assertThat(context.getBean(EtcdTemplate.class).getRequestTimeout()).isEqualTo(Duration.ofSeconds(3));
			});
	}

	@Test
	void customizersAreAppliedInOrderAfterTheProperties() {
		this.contextRunner.withUserConfiguration(OrderedCustomizersConfiguration.class)
			.withPropertyValues("coordination.etcd.namespace=/from-properties")
			.run((context) -> {
				OrderedCustomizersConfiguration customizers = context.getBean(OrderedCustomizersConfiguration.class);
				assertThat(customizers.calls).containsExactly("first", "second");
				assertThat(customizers.namespaceSeenByFirst.get()).isEqualTo(bytes("/from-properties"));
			});
	}

	@Test
	void defaultsDefineTheEventThreadAndTheRetryPolicy() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(CoordinationEvents.class)
			.hasSingleBean(RetryPolicy.class)
			.hasSingleBean(EtcdProperties.class));
	}

	@Test
	void theEventThreadIsAPlatformThreadByDefault() {
		this.contextRunner.run((context) -> {
			Thread thread = eventThread(context);
			assertThat(thread.getName()).isEqualTo("coordination-events");
			assertThat(thread.isDaemon()).isTrue();
			assertThat(isVirtual(thread)).isFalse();
		});
	}

	@Test
	void theEventThreadFollowsBootsVirtualThreadsSettingFromJava21() {
		// Boot's Threading.VIRTUAL: the property counts on Java 21 or later only
		this.contextRunner.withPropertyValues("spring.threads.virtual.enabled=true").run((context) -> {
			Thread thread = eventThread(context);
			assertThat(thread.getName()).isEqualTo("coordination-events");
			assertThat(isVirtual(thread)).isEqualTo(Runtime.version().feature() >= 21);
		});
	}

	@Test
	void disabledStarterCreatesNoBeans() {
		this.contextRunner.withPropertyValues("coordination.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(Client.class)
				.doesNotHaveBean(EtcdTemplate.class)
				.doesNotHaveBean(EtcdConnectionDetails.class);
		});
	}

	@Test
	void disabledStarterDoesNotValidateItsProperties() {
		this.contextRunner.withPropertyValues("coordination.enabled=false", "coordination.etcd.endpoints=not a uri")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(EtcdProperties.class)
				.doesNotHaveBean(CoordinationEvents.class)
				.doesNotHaveBean(RetryPolicy.class));
	}

	@Test
	void withoutJetcdOnTheClasspathBacksOff() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(Client.class))
			.run((context) -> assertThat(context).doesNotHaveBean(EtcdTemplate.class));
	}

	@Test
	void withoutAnyJetcdPackageNothingIsDefinedAndTheContextStarts() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.etcd.jetcd"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(EtcdTemplate.class)
				.doesNotHaveBean(EtcdConnectionDetails.class)
				.doesNotHaveBean(EtcdProperties.class)
				.doesNotHaveBean(CoordinationEvents.class)
				.doesNotHaveBean(RetryPolicy.class)
				.doesNotHaveBean("etcdClient"));
	}

	@Test
	void userDefinedTemplateMakesOursBackOff() {
		this.contextRunner.withUserConfiguration(UserTemplateConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(EtcdTemplate.class).hasBean("userTemplate");
			assertThat(context.getBean(EtcdTemplate.class).getRequestTimeout()).isEqualTo(Duration.ofMillis(750));
		});
	}

	@Test
	void userDefinedRetryPolicyMakesOursBackOff() {
		this.contextRunner.withBean("userRetryPolicy", RetryPolicy.class,
				() -> new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(20)))
			.run((context) -> {
				assertThat(context).hasSingleBean(RetryPolicy.class).hasBean("userRetryPolicy");
				assertThat(context.getBean(RetryPolicy.class))
					.isEqualTo(new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(20)));
			});
	}

	@Test
	void userDefinedClientMakesOursBackOff() {
		this.contextRunner.withUserConfiguration(UserClientConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(Client.class).hasBean("userClient");
			assertThat(context.getBean(EtcdTemplate.class).getClient()).isSameAs(context.getBean("userClient"));
		});
	}

	@Test
	void userDefinedConnectionDetailsReplaceTheProperties() {
		this.contextRunner.withUserConfiguration(UserConnectionDetailsConfiguration.class, CapturingCustomizerConfiguration.class)
			.withPropertyValues("coordination.etcd.endpoints=http://10.0.0.1:2379")
			.run((context) -> {
				assertThat(context).doesNotHaveBean(PropertiesEtcdConnectionDetails.class);
				assertThat(captured(context).target()).isEqualTo("ip:///192.0.2.7:32379");
			});
	}

	@Test
	void malformedEndpointFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.endpoints=http://127.0.0.1:2379,http://bad host:2379",
				"coordination.etcd.endpoints[1]", "http://host:port or https://host:port");
	}

	@Test
	void endpointWithoutSchemeFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.endpoints=127.0.0.1:2379", "coordination.etcd.endpoints[0]",
				"http://host:port or https://host:port");
	}

	@Test
	void endpointWithoutPortFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.endpoints=http://etcd.internal", "coordination.etcd.endpoints[0]",
				"http://host:port or https://host:port");
	}

	@Test
	void httpsEndpointWithoutSslBundleFails() {
		assertInvalid("coordination.etcd.endpoints=https://127.0.0.1:2379", "coordination.etcd.ssl.bundle",
				"would otherwise connect in plaintext");
	}

	@Test
	void mixedSchemesFail() {
		assertInvalid("coordination.etcd.endpoints=https://127.0.0.1:2379,http://127.0.0.1:2479",
				"coordination.etcd.endpoints", "same scheme");
	}

	@Test
	void sslBundleWithHttpEndpointsFails() {
		assertInvalid("coordination.etcd.ssl.bundle=etcd", "coordination.etcd.endpoints", "must use https://");
	}

	@Test
	void unknownSslBundleFails() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.endpoints=https://127.0.0.1:2379", "coordination.etcd.ssl.bundle=missing")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.ssl.bundle")
				.hasMessageContaining("no SSL bundle with this name")
				.hasMessageContaining("spring.ssl.bundle.pem.missing"));
	}

	@Test
	void zeroDurationFails() {
		assertInvalid("coordination.etcd.connect-timeout=0s", "coordination.etcd.connect-timeout",
				"positive duration");
	}

	@Test
	void negativeDurationFails() {
		assertInvalid("coordination.etcd.request-timeout=-1s", "coordination.etcd.request-timeout",
				"positive duration");
	}

	@Test
	void zeroKeepaliveTimeFails() {
		assertInvalid("coordination.etcd.keepalive-time=0s", "coordination.etcd.keepalive-time", "positive duration");
	}

	@Test
	void zeroKeepaliveTimeoutFails() {
		assertInvalid("coordination.etcd.keepalive-timeout=0s", "coordination.etcd.keepalive-timeout",
				"positive duration");
	}

	@Test
	void zeroRetryDelayFails() {
		assertInvalid("coordination.etcd.retry.delay=0ms", "coordination.etcd.retry.delay", "positive duration");
	}

	@Test
	void emptyEndpointsFailNamingTheProperty() {
		assertInvalid("coordination.etcd.endpoints=", "coordination.etcd.endpoints", "At least one endpoint");
	}

	@Test
	void emptyNamespaceFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.namespace=", "coordination.etcd.namespace", "Must not be empty");
	}

	@Test
	void zeroMaxInboundMessageSizeFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.max-inbound-message-size=0B", "coordination.etcd.max-inbound-message-size",
				"at most 2GB");
	}

	@Test
	void maxInboundMessageSizeAboveTwoGigabytesFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.max-inbound-message-size=3GB", "coordination.etcd.max-inbound-message-size",
				"at most 2GB");
	}

	@Test
	void retryMaxDelayBelowDelayFails() {
		assertInvalid("coordination.etcd.retry.max-delay=50ms", "coordination.etcd.retry.max-delay",
				"coordination.etcd.retry.delay");
	}

	@Test
	void usernameWithoutPasswordFails() {
		assertInvalid("coordination.etcd.username=app", "coordination.etcd.password",
				"coordination.etcd.username is set");
	}

	@Test
	void passwordWithoutUsernameFails() {
		assertInvalid("coordination.etcd.password=secret", "coordination.etcd.username",
				"coordination.etcd.password is set");
	}

	@Test
	void failFastWithUnreachableEtcdFailsAfterConnectTimeoutNamingTheEndpoints() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.fail-fast=true",
					"coordination.etcd.connect-timeout=300ms", "coordination.etcd.startup-grace=100ms")
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("etcd at 127.0.0.1:1 refused the connection")
				.hasStackTraceContaining("coordination.etcd.fail-fast=true")
				.hasStackTraceContaining("set coordination.etcd.fail-fast=false"));
	}

	@Test
	void withoutFailFastUnreachableEtcdStillStarts() {
		this.contextRunner.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1")
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(EtcdTemplate.class));
	}

	private void assertInvalid(String property, String name, String reason) {
		this.contextRunner.withPropertyValues(property)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining(name)
				.hasMessageContaining(reason));
	}

	private static Thread eventThread(AssertableApplicationContext context) throws Exception {
		CompletableFuture<Thread> ranOn = new CompletableFuture<>();
		context.getBean(CoordinationEvents.class)
			.publish(new ApplicationEvent(context) {
			}, List.of(ranOn), (listener, event) -> listener.complete(Thread.currentThread()));
		return ranOn.get(5, TimeUnit.SECONDS);
	}

	private static boolean isVirtual(Thread thread) throws ReflectiveOperationException {
		// Thread.isVirtual() is Java 21 API, and this code compiles for Java 17
		return Runtime.version().feature() >= 21 && (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
	}

	private static ClientBuilder captured(AssertableApplicationContext context) {
		return context.getBean(CapturingCustomizerConfiguration.class).builder.get();
	}

	@Configuration(proxyBeanMethods = false)
	static class CapturingCustomizerConfiguration {

		final AtomicReference<ClientBuilder> builder = new AtomicReference<>();

		@Bean
		EtcdClientBuilderCustomizer capturingCustomizer() {
			return this.builder::set;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OrderedCustomizersConfiguration {

		final List<String> calls = new ArrayList<>();

		final AtomicReference<Object> namespaceSeenByFirst = new AtomicReference<>();

		@Bean
		@Order(2)
		EtcdClientBuilderCustomizer second() {
			return (builder) -> this.calls.add("second");
		}

		@Bean
		@Order(1)
		EtcdClientBuilderCustomizer first() {
			return (builder) -> {
				this.namespaceSeenByFirst.set(builder.namespace());
				this.calls.add("first");
			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserClientConfiguration {

		@Bean(destroyMethod = "close")
		Client userClient() {
			return Client.builder().endpoints("http://127.0.0.1:2379").build();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserTemplateConfiguration {

		@Bean
		EtcdTemplate userTemplate(Client etcdClient) {
			return new EtcdTemplate(etcdClient, Duration.ofMillis(750));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserConnectionDetailsConfiguration {

		@Bean
		EtcdConnectionDetails userConnectionDetails() {
			return () -> List.of(URI.create("http://192.0.2.7:32379"));
		}

	}

}
