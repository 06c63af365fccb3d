package dev.coordination.config.internal;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.coordination.config.ConfigChangedEvent.Change;
import dev.coordination.config.internal.ConfigChange.Rejection;
import io.etcd.jetcd.KeyValue;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.ConfigurationPropertiesBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;
import org.springframework.validation.annotation.Validated;

import static dev.coordination.config.internal.ConfigDocumentsTests.kv;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The diff/validate half of a refresh, without etcd: two contexts imported into an application
 * with {@code @ConfigurationProperties} beans, and what etcd would hold next.
 */
class ConfigChangeValidatorTests {

	private final EtcdConfigDataResource application = new EtcdConfigDataResource("application", "/config/",
			"/config/application/", 0, false, "key-value", "data");

	private final EtcdConfigDataResource orders = new EtcdConfigDataResource("orders", "/config/", "/config/orders/", 1,
			false, "key-value", "data");

	private final EtcdConfigState state = new EtcdConfigState();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner().withInitializer((context) -> {
		// as the import adds them: the context of higher precedence first
		context.getEnvironment().getPropertySources().addFirst(this.state.source(this.application));
		context.getEnvironment().getPropertySources().addFirst(this.state.source(this.orders));
	}).withUserConfiguration(Beans.class);

	@Test
	void theChangedPropertiesAreThoseTheContextsTogetherChangeInPrecedenceOrder() {
		imported(Map.of("/config/application/greeting/message", "application", "/config/orders/greeting/message",
				"orders", "/config/application/shared", "one"));
		run((context, validator) -> {
			ConfigChange change = validator.validate(kvs(Map.of("/config/application/greeting/message", "hidden",
					"/config/orders/greeting/message", "orders", "/config/application/shared", "two",
					"/config/orders/added", "three")), 20);
			assertThat(change.revision()).isEqualTo(20);
			assertThat(change.changes()).containsExactly(Map.entry("added", new Change(null, "three")),
					Map.entry("shared", new Change("one", "two")));
			assertThat(change.contexts()).containsEntry("/config/application/",
					Map.of("greeting.message", "hidden", "shared", "two"));
			assertThat(change.touched()).isEmpty();
			assertThat(change.isComplete()).isTrue();
		});
	}

	@Test
	void aDeletedPropertyIsAChangeToNull() {
		imported(Map.of("/config/orders/greeting/message", "orders", "/config/application/greeting/message",
				"application"));
		run((context, validator) -> {
			ConfigChange change = validator
				.validate(kvs(Map.of("/config/application/greeting/message", "application")), 20);
			assertThat(change.changes())
				.containsExactly(Map.entry("greeting.message", new Change("orders", "application")));
			assertThat(names(change.touched())).containsExactly("greeting");
			change = validator.validate(kvs(Map.of()), 21);
			assertThat(change.changes()).containsExactly(Map.entry("greeting.message", new Change("orders", null)));
		});
	}

	@Test
	void aChangeTouchesTheBeansWhosePrefixItIsUnderAsBootsBinderReadsTheName() {
		imported(Map.of());
		run((context, validator) -> {
			assertThat(names(validator.touched(List.of("greeting.message")))).containsExactly("greeting");
			assertThat(names(validator.touched(List.of("greeting.maxSize", "LIMITS.MAX")))).containsExactly("greeting",
					"limits");
			// Boot's binder reads greeting.[bad as greeting.bad, and greeting..x as greeting.x
			assertThat(names(validator.touched(List.of("greeting.[bad")))).containsExactly("greeting");
			assertThat(names(validator.touched(List.of("greeting..x")))).containsExactly("greeting");
			// and these as no property under any prefix
			assertThat(validator.touched(List.of("[bad", ".double", "greeting.", "greetings.message", "greeting-x")))
				.isEmpty();
		});
	}

	@Test
	void keysThatAreNoPropertyOfABeanChangeTheEnvironmentAndTouchNoBean() {
		imported(Map.of("/config/orders/greeting/message", "hello"));
		run((context, validator) -> {
			ConfigChange change = validator.validate(kvs(Map.of("/config/orders/greeting/message", "hello",
					"/config/orders/[bad", "x", "/config/orders//double", "x", "/config/orders/greeting/", "x")), 20);
			assertThat(change.changes()).containsOnlyKeys("[bad", ".double", "greeting.");
			assertThat(change.touched()).isEmpty();
			assertThat(change.isComplete()).isTrue();
		});
	}

	@Test
	void aValueThatDoesNotConvertKeepsTheLastGoodValuesOfItsBeanAndTheRestApplies() {
		imported(Map.of("/config/orders/greeting/timeout", "10", "/config/application/greeting/message", "hello"));
		run((context, validator) -> {
			ConfigChange change = validator.validate(kvs(Map.of("/config/orders/greeting/Timeout", "not a number",
					"/config/orders/greeting/message", "with a bad timeout", "/config/application/greeting/message",
					"changed below", "/config/orders/limits/max", "5", "/config/orders/other", "applied")), 20);
			// every property under greeting stays, in every context, relaxed names too
			assertThat(change.contexts().get("/config/orders/"))
				.isEqualTo(Map.of("greeting.timeout", "10", "limits.max", "5", "other", "applied"));
			assertThat(change.contexts().get("/config/application/")).isEqualTo(Map.of("greeting.message", "hello"));
			assertThat(change.changes()).containsOnlyKeys("limits.max", "other");
			assertThat(names(change.touched())).containsExactly("limits");
			assertThat(change.rejections()).singleElement().extracting(Rejection::message).asString()
				.isEqualTo("The configuration from etcd at revision 20 sets greeting.timeout to 'not a number',"
						+ " which GreetingProperties (greeting) cannot bind: For input string: \"notanumber\". The last"
						+ " good values of greeting.* stay until it is fixed in etcd.");
			// the check binds a new instance: the bean is as it was
			assertThat(context.getBean(GreetingProperties.class).getTimeout()).isEqualTo(10);
			assertThat(context.getBean(GreetingProperties.class).getMessage()).isEqualTo("hello");
		});
	}

	@Test
	void theSameBadValueIsTheSameRejectionAtEveryRevision() {
		imported(Map.of());
		run((context, validator) -> {
			Rejection first = validator.validate(kvs(Map.of("/config/orders/greeting/timeout", "x")), 20)
				.rejections()
				.get(0);
			Rejection later = validator
				.validate(kvs(Map.of("/config/orders/greeting/timeout", "x", "/config/orders/other", "y")), 21)
				.rejections()
				.get(0);
			assertThat(later.id()).isEqualTo(first.id());
			assertThat(later.message()).contains("revision 21");
		});
	}

	@Test
	void aValidatedBeanIsCheckedWithTheValidatorsBootUses() {
		imported(Map.of("/config/orders/limits/max", "5"));
		run((context, validator) -> {
			ConfigChange change = validator.validate(kvs(Map.of("/config/orders/limits/max", "-1")), 20);
			assertThat(change.changes()).isEmpty();
			assertThat(change.touched()).isEmpty();
			assertThat(change.rejections()).singleElement().extracting(Rejection::message).asString()
				.isEqualTo("The configuration from etcd at revision 20 sets limits.max to '-1' (must not be"
						+ " negative), which LimitProperties (limits) fails its validation. The last good values of"
						+ " limits.* stay until it is fixed in etcd.");
			assertThat(context.getBean(LimitProperties.class).getMax()).isEqualTo(5);
		});
	}

	@Test
	void aBeanThatRefusesItsValuesInAfterPropertiesSetIsRejectedNamingTheProperty() {
		imported(Map.of());
		run((context, validator) -> {
			ConfigChange change = validator.validate(kvs(Map.of("/config/orders/mode/value", "c")), 20);
			assertThat(change.changes()).isEmpty();
			assertThat(change.rejections()).singleElement().extracting(Rejection::message).asString()
				.isEqualTo("The configuration from etcd at revision 20 sets mode.value to 'c', which ModeProperties"
						+ " (mode) refuses it: Must be a or b. The last good values of mode.* stay until it is fixed"
						+ " in etcd.");
			assertThat(validator.validate(kvs(Map.of("/config/orders/mode/value", "b")), 21).isComplete()).isTrue();
		});
	}

	@Test
	void aBeanThatTakesNoUnknownFieldsRejectsAnUnknownPropertyAsBootWould() {
		imported(Map.of());
		run((context, validator) -> {
			ConfigChange change = validator.validate(
					kvs(Map.of("/config/orders/strict/nmae", "typo", "/config/orders/greeting/nmae", "ignored")), 20);
			assertThat(change.changes()).containsOnlyKeys("greeting.nmae");
			assertThat(change.rejections()).singleElement().extracting(Rejection::message).asString()
				.contains("sets strict.nmae to 'typo'")
				.contains("StrictProperties (strict) cannot bind");
		});
	}

	@Test
	void aValueThatIsNotUtf8KeepsItsContextsLastGoodPropertiesAndTheOtherContextsApply() {
		imported(Map.of("/config/orders/greeting/message", "hello", "/config/orders/other", "one"));
		run((context, validator) -> {
			Map<String, KeyValue> kvs = kvs(Map.of("/config/orders/other", "two", "/config/application/later", "x"));
			kvs.put("/config/orders/greeting/message",
					kv("/config/orders/greeting/message", new byte[] { 'b', 'a', 'd', (byte) 0xFE }, 19));
			ConfigChange change = validator.validate(kvs, 20);
			assertThat(change.contexts().get("/config/orders/"))
				.isEqualTo(Map.of("greeting.message", "hello", "other", "one"));
			assertThat(change.changes()).containsOnlyKeys("later");
			assertThat(change.rejections()).singleElement().satisfies((rejection) -> {
				assertThat(rejection.id()).isEqualTo("/config/orders/greeting/message@19");
				assertThat(rejection.message()).startsWith("The value at /config/orders/greeting/message (revision 19)"
						+ " is not valid UTF-8").endsWith("The last good configuration stays.");
			});
		});
	}

	private void imported(Map<String, String> keys) {
		Map<String, Map<String, Object>> contexts = new LinkedHashMap<>();
		for (EtcdConfigDataResource context : List.of(this.application, this.orders)) {
			contexts.put(context.getPath(), ConfigDocuments.properties(context, kvs(keys).values()));
		}
		this.state.apply(new ConfigSnapshot(10, contexts));
	}

	private void run(ValidatorTest test) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			test.accept(context, new ConfigChangeValidator(this.state, context.getSourceApplicationContext()));
		});
	}

	private static Map<String, KeyValue> kvs(Map<String, String> keys) {
		Map<String, KeyValue> kvs = new LinkedHashMap<>();
		keys.forEach((key, value) -> kvs.put(key, kv(key, value.getBytes(StandardCharsets.UTF_8), 10)));
		return kvs;
	}

	private static List<String> names(List<ConfigurationPropertiesBean> beans) {
		return beans.stream().map((bean) -> bean.getAnnotation().prefix()).sorted().toList();
	}

	@FunctionalInterface
	interface ValidatorTest {

		void accept(AssertableApplicationContext context, ConfigChangeValidator validator);

	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties({ GreetingProperties.class, LimitProperties.class, StrictProperties.class,
			ModeProperties.class })
	static class Beans {

		// Boot validates @ConfigurationProperties beans with a validator of this name, too
		@Bean
		static Validator configurationPropertiesValidator() {
			return new Validator() {

				@Override
				public boolean supports(Class<?> type) {
					return LimitProperties.class.isAssignableFrom(type);
				}

				@Override
				public void validate(Object target, Errors errors) {
					if (((LimitProperties) target).getMax() < 0) {
						errors.rejectValue("max", "negative", "must not be negative");
					}
				}

			};
		}

	}

	@ConfigurationProperties(prefix = "greeting")
	static class GreetingProperties {

		private String message = "default";

		private int timeout = 30;

		public String getMessage() {
			return this.message;
		}

		public void setMessage(String message) {
			this.message = message;
		}

		public int getTimeout() {
			return this.timeout;
		}

		public void setTimeout(int timeout) {
			this.timeout = timeout;
		}

	}

	@ConfigurationProperties(prefix = "limits")
	@Validated
	static class LimitProperties {

		private int max = 1;

		public int getMax() {
			return this.max;
		}

		public void setMax(int max) {
			this.max = max;
		}

	}

	@ConfigurationProperties(prefix = "strict", ignoreUnknownFields = false)
	static class StrictProperties {

		private String name = "default";

		public String getName() {
			return this.name;
		}

		public void setName(String name) {
			this.name = name;
		}

	}

	@ConfigurationProperties(prefix = "mode")
	static class ModeProperties implements InitializingBean {

		private String value = "a";

		public String getValue() {
			return this.value;
		}

		public void setValue(String value) {
			this.value = value;
		}

		@Override
		public void afterPropertiesSet() {
			if (!this.value.equals("a") && !this.value.equals("b")) {
				throw new InvalidConfigurationPropertyValueException("mode.value", this.value, "Must be a or b.");
			}
		}

	}

}
