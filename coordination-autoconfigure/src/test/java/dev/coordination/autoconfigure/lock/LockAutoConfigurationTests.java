package dev.coordination.autoconfigure.lock;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.DistributedLocked.OnTimeout;
import dev.coordination.lock.DistributedReadWriteLock;
import dev.coordination.lock.DistributedSemaphore;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.LockHold;
import dev.coordination.lock.LockListener;
import dev.coordination.lock.LockNotAcquiredException;
import dev.coordination.lock.ReactiveLocks;
import dev.coordination.lock.internal.DistributedLockedAdvisor;
import dev.coordination.lock.internal.DistributedLockedBeanPostProcessor;
import dev.coordination.lock.internal.EtcdLockRegistry;
import dev.coordination.lock.internal.LockMetrics;
import dev.coordination.lock.internal.MicrometerLockMetrics;
import dev.coordination.session.internal.EtcdSession;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Lock auto-configuration and {@code @DistributedLocked} without etcd: the starter's registry never
 * gets a lock (its session never gets a lease), so what a call does with a lock is observed through
 * {@link RecordingLockRegistry}, a registry of the application's own that grants or refuses every
 * lock and records what it was asked.
 * <p>
 * {@link LockListener} beans joining the starter's own registry cannot be observed without etcd:
 * the registry keeps its listeners to itself and tells them only of a hold lost with the session,
 * and nothing is held without etcd. They are observed joining a user-defined registry instead,
 * through the same registration.
 */
class LockAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
				SessionAutoConfiguration.class, LockAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	// definitions by default, back-off and switches

	@Test
	void registryAdvisorAndPostProcessorAreDefinedByDefault() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
			.hasSingleBean(DistributedLockRegistry.class)
			.hasSingleBean(EtcdLockRegistry.class)
			.hasSingleBean(DistributedLockedAdvisor.class)
			.hasSingleBean(DistributedLockedBeanPostProcessor.class)
			.hasBean("lockListenerBeans")
			.hasSingleBean(LockProperties.class));
	}

	@Test
	void reactiveLocksWithReactorOnTheClasspathOverTheRegistryInUse() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(ReactiveLocks.class));
		this.contextRunner.withBean(DistributedLockRegistry.class, RecordingLockRegistry::new)
			.run((context) -> assertThat(context).hasSingleBean(ReactiveLocks.class)
				.doesNotHaveBean(EtcdLockRegistry.class));
		this.contextRunner.withPropertyValues("coordination.etcd.lock.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ReactiveLocks.class));
	}

	@Test
	void noReactiveLocksWithoutReactor() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("reactor.core"))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(DistributedLockRegistry.class)
				.doesNotHaveBean(ReactiveLocks.class));
	}

	@Test
	void aDistributedLockedMethodWhoseWorkTheLockCannotFollowFailsStartUpNamingIt() {
		this.contextRunner.withBean(LaterWork.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("@DistributedLocked method " + LaterWork.class.getName()
						+ ".later() returns java.util.concurrent.Callable, whose work runs after the method returned"));
	}

	@Test
	void disabledByProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(EtcdSession.class)
				.doesNotHaveBean(DistributedLockRegistry.class)
				.doesNotHaveBean(DistributedLockedAdvisor.class)
				.doesNotHaveBean(DistributedLockedBeanPostProcessor.class)
				.doesNotHaveBean(LockMetrics.class)
				.doesNotHaveBean(LockProperties.class));
	}

	@Test
	void disabledLocksDoNotValidateTheirProperties() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.lock.enabled=false", "coordination.etcd.lock.prefix=locks",
					"coordination.etcd.lock.default-wait-time=-1s")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(LockProperties.class));
	}

	@Test
	void backsOffWhenTheStarterIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.enabled=false")
			.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(DistributedLockRegistry.class)
				.doesNotHaveBean(DistributedLockedAdvisor.class)
				.doesNotHaveBean(DistributedLockedBeanPostProcessor.class)
				.doesNotHaveBean(LockMetrics.class)
				.doesNotHaveBean(LockProperties.class));
	}

	@Test
	void backsOffWithoutASession() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, LockAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(DistributedLockRegistry.class)
				.doesNotHaveBean(DistributedLockedAdvisor.class));
	}

	@Test
	void userDefinedRegistryMakesOursBackOffAndDistributedLockedUsesIt() {
		this.contextRunner.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(OrdersConfiguration.class)
			.run((context) -> {
				assertThat(context).hasSingleBean(DistributedLockRegistry.class)
					.doesNotHaveBean(EtcdLockRegistry.class)
					.hasSingleBean(DistributedLockedAdvisor.class);
				RecordingLockRegistry registry = context.getBean(RecordingLockRegistry.class);
				assertThat(context.getBean(Orders.class).process("42")).isEqualTo("42");
				assertThat(registry.obtained).containsExactly("42");
				assertThat(registry.unlocks).hasValue(1);
			});
	}

	@Test
	void lockListenerBeansAreRegisteredWithAUserDefinedRegistryInOrder() {
		this.contextRunner.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(LockListenersConfiguration.class)
			.run((context) -> assertThat(context.getBean(RecordingLockRegistry.class).added).containsExactly(
					context.getBean("firstLockListener", LockListener.class),
					context.getBean("secondLockListener", LockListener.class)));
	}

	@Test
	void lockListenerBeansDoNotFailStartUpWithTheStartersRegistry() {
		// that they joined the starter's registry is not observable without etcd (see the class javadoc)
		this.contextRunner.withUserConfiguration(LockListenersConfiguration.class)
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(EtcdLockRegistry.class));
	}

	// metrics

	@Test
	void noLockMetricsWithoutAMeterRegistry() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(LockMetrics.class));
	}

	@Test
	void micrometerLockMetricsWhenAMeterRegistryExists() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.run((context) -> assertThat(context).hasSingleBean(MicrometerLockMetrics.class));
	}

	@Test
	void micrometerLockMetricsCountHeldAndTimedOutLocksOfDistributedLockedMethodsByName() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(ReportsConfiguration.class)
			.run((context) -> {
				Reports reports = context.getBean(Reports.class);
				assertThat(reports.daily()).isEqualTo("ran");
				context.getBean(RecordingLockRegistry.class).grant = false;
				assertThat(reports.daily()).isNull();
				MeterRegistry meters = context.getBean(MeterRegistry.class);
				assertThat(meters.get("coordination.lock.held").tag("lock", "daily-report").timer().count()).isOne();
				assertThat(meters.get("coordination.lock.timeouts").tag("lock", "daily-report").counter().count())
					.isOne();
			});
	}

	@Test
	void userDefinedLockMetricsMakeOursBackOffAndHearDistributedLockedCalls() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withBean(RecordingLockMetrics.class, RecordingLockMetrics::new)
			.withUserConfiguration(ReportsConfiguration.class)
			.run((context) -> {
				assertThat(context).hasSingleBean(LockMetrics.class).doesNotHaveBean(MicrometerLockMetrics.class);
				context.getBean(Reports.class).daily();
				assertThat(context.getBean(RecordingLockMetrics.class).acquired).containsExactly("daily-report");
			});
	}

	// class path

	@Test
	void withoutMicrometerNoLockMetricsAndDistributedLockedStillWorks() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer.core"))
			.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withBean(PublicOrders.class, PublicOrders::new)
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.doesNotHaveBean(LockMetrics.class)
					.hasSingleBean(DistributedLockRegistry.class)
					.hasSingleBean(DistributedLockedAdvisor.class);
				PublicOrders orders = context.getBean(PublicOrders.class);
				assertThat(AopUtils.isAopProxy(orders)).isTrue();
				assertThat(orders.process("7")).isEqualTo("7");
				assertThat(context.getBean(RecordingLockRegistry.class).obtained).containsExactly("orders/7");
			});
	}

	@Test
	void withoutMicrometerTheStartersRegistryIsDefined() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer.core"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(LockMetrics.class)
				.hasSingleBean(EtcdLockRegistry.class)
				.hasSingleBean(DistributedLockedAdvisor.class));
	}

	@Test
	void withoutJetcdNothingIsDefinedAndDistributedLockedMethodsRunUnadvised() {
		// imported as an application imports auto-configurations
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms")
			.withClassLoader(new FilteredClassLoader("io.etcd.jetcd"))
			.withBean(PublicOrders.class, PublicOrders::new)
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.doesNotHaveBean(DistributedLockRegistry.class)
					.doesNotHaveBean(DistributedLockedAdvisor.class)
					.doesNotHaveBean(DistributedLockedBeanPostProcessor.class)
					.doesNotHaveBean(LockProperties.class);
				PublicOrders orders = context.getBean(PublicOrders.class);
				assertThat(AopUtils.isAopProxy(orders)).isFalse();
				assertThat(orders.process("7")).isEqualTo("7");
			});
	}

	// proxies

	@Test
	void proxyTargetClassFalseGivesAJdkProxyForADistributedLockedBeanWithAnInterface() {
		this.contextRunner.withPropertyValues("spring.aop.proxy-target-class=false")
			.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(ReportConfiguration.class)
			.run((context) -> assertLockedReportRunsAsItsLockSays(context, true));
	}

	@Test
	void proxyTargetClassFalseGivesAJdkProxyWithoutBootsAopAutoConfiguration() {
		withoutBootsAop().withPropertyValues("spring.aop.proxy-target-class=false")
			.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(ReportConfiguration.class)
			.run((context) -> assertLockedReportRunsAsItsLockSays(context, true));
	}

	@Test
	void proxyTargetClassByDefaultGivesAClassProxyForADistributedLockedBeanWithAnInterface() {
		this.contextRunner.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(ReportConfiguration.class)
			.run((context) -> {
				assertLockedReportRunsAsItsLockSays(context, false);
				assertThat(context.getBean(LockedReport.class)).isSameAs(context.getBean(Report.class));
			});
	}

	@Test
	void proxyTargetClassByDefaultGivesAClassProxyWithoutBootsAopAutoConfiguration() {
		withoutBootsAop().withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(ReportConfiguration.class)
			.run((context) -> assertLockedReportRunsAsItsLockSays(context, false));
	}

	@Test
	void proxyTargetClassFalseStillGivesAClassProxyForABeanWithoutInterfaces() {
		this.contextRunner.withPropertyValues("spring.aop.proxy-target-class=false")
			.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(OrdersConfiguration.class)
			.run((context) -> {
				Orders orders = context.getBean(Orders.class);
				assertThat(AopUtils.isCglibProxy(orders)).isTrue();
				assertThat(orders.process("1")).isEqualTo("1");
				assertThat(context.getBean(RecordingLockRegistry.class).obtained).containsExactly("1");
			});
	}

	@Test
	void distributedLockedOnAnInterfaceMethodIsHonouredWithJdkProxies() {
		this.contextRunner.withPropertyValues("spring.aop.proxy-target-class=false")
			.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(AnnotatedInterfaceConfiguration.class)
			.run((context) -> assertAnnotatedTaskIsLocked(context, true));
	}

	@Test
	void distributedLockedOnAnInterfaceMethodIsHonouredWithClassProxies() {
		this.contextRunner.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(AnnotatedInterfaceConfiguration.class)
			.run((context) -> assertAnnotatedTaskIsLocked(context, false));
	}

	@Test
	void invalidKeyExpressionOnAnInterfaceMethodFailsBeanCreationNamingTheMethod() {
		this.contextRunner.withUserConfiguration(BadInterfaceConfiguration.class)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining(BadTaskImpl.class.getName() + ".run()")
				.hasStackTraceContaining("invalid key expression"));
	}

	@Test
	void distributedLockedWorksWhenBootsAopAutoConfigurationIsSwitchedOff() {
		this.contextRunner.withPropertyValues("spring.aop.auto=false")
			.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(OrdersConfiguration.class)
			.run((context) -> {
				Orders orders = context.getBean(Orders.class);
				assertThat(AopUtils.isCglibProxy(orders)).isTrue();
				orders.process("3");
				assertThat(context.getBean(RecordingLockRegistry.class).obtained).containsExactly("3");
			});
	}

	// calls

	@Test
	void withoutEtcdTheStartersRegistryRefusesALockAndASkippingMethodIsSkipped() {
		this.contextRunner.withUserConfiguration(ReportsConfiguration.class).run((context) -> {
			Reports reports = context.getBean(Reports.class);
			assertThat(reports.daily()).isNull();
			assertThat(reports.weekly()).isEmpty();
			reports.monthly();
			assertThat(reports.calls()).isZero();
			assertThat(context.getBean(DistributedLockRegistry.class).heldLocks()).isEmpty();
		});
	}

	@Test
	void lockNotAcquiredThrowsByDefaultNamingTheKeyAndSkipsWithSkip() {
		this.contextRunner.withBean(RecordingLockRegistry.class, () -> new RecordingLockRegistry(false))
			.withUserConfiguration(ReportsConfiguration.class)
			.run((context) -> {
				Reports reports = context.getBean(Reports.class);
				assertThatExceptionOfType(LockNotAcquiredException.class).isThrownBy(reports::strict)
					.withMessageContaining("reports/strict");
				assertThat(reports.daily()).isNull();
				assertThat(reports.weekly()).isEmpty();
				reports.monthly();
				assertThat(reports.calls()).isZero();
				assertThat(reports.notLocked()).isEqualTo("always");
				assertThat(context.getBean(RecordingLockRegistry.class).unlocks).hasValue(0);
			});
	}

	@Test
	void acquiredLockRunsTheMethodAndIsReleased() {
		this.contextRunner.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(ReportsConfiguration.class)
			.run((context) -> {
				Reports reports = context.getBean(Reports.class);
				assertThat(reports.daily()).isEqualTo("ran");
				assertThat(reports.weekly()).contains("ran");
				reports.monthly();
				assertThat(reports.calls()).isEqualTo(3);
				RecordingLockRegistry registry = context.getBean(RecordingLockRegistry.class);
				assertThat(registry.obtained).containsExactly("reports/daily", "reports/weekly", "reports/monthly");
				assertThat(registry.unlocks).hasValue(3);
			});
	}

	@Test
	void defaultWaitTimeIsTheWaitOfMethodsThatNameNoneAndTheAnnotationsWins() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.default-wait-time=250ms")
			.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(ReportsConfiguration.class)
			.run((context) -> {
				Reports reports = context.getBean(Reports.class);
				reports.strict();
				reports.daily();
				assertThat(context.getBean(RecordingLockRegistry.class).waits).containsExactly(Duration.ofMillis(250),
						Duration.ZERO);
			});
	}

	@Test
	void defaultWaitTimeIsFiveSecondsByDefault() {
		this.contextRunner.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.withUserConfiguration(ReportsConfiguration.class)
			.run((context) -> {
				context.getBean(Reports.class).strict();
				assertThat(context.getBean(RecordingLockRegistry.class).waits).containsExactly(Duration.ofSeconds(5));
			});
	}

	@Test
	void invalidKeyExpressionFailsBeanCreationNamingTheMethod() {
		this.contextRunner.withBean(BadExpression.class)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("@DistributedLocked method " + BadExpression.class.getName() + ".process()")
				.hasStackTraceContaining("invalid key expression"));
	}

	@Test
	void invalidWaitTimeFailsBeanCreationNamingTheMethod() {
		this.contextRunner.withBean(BadWaitTime.class)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining(BadWaitTime.class.getName() + ".process()")
				.hasStackTraceContaining("invalid waitTime 'soon'"));
	}

	@Test
	void primitiveReturnWithSkipFailsBeanCreationNamingTheMethod() {
		this.contextRunner.withBean(PrimitiveSkip.class)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining(PrimitiveSkip.class.getName() + ".count()")
				.hasStackTraceContaining("returns int"));
	}

	@Test
	void keyEvaluatingToNullOrEmptyFailsTheCallNamingTheMethod() {
		this.contextRunner.withUserConfiguration(OrdersConfiguration.class).run((context) -> {
			Orders orders = context.getBean(Orders.class);
			assertThatIllegalArgumentException().isThrownBy(() -> orders.process(null))
				.withMessageContaining(Orders.class.getName() + ".process()")
				.withMessageContaining("evaluated to null");
			assertThatIllegalArgumentException().isThrownBy(() -> orders.process(""))
				.withMessageContaining("evaluated to an empty text");
		});
	}

	// properties

	@Test
	void prefixWithoutLeadingSlashFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.lock.prefix=locks", "coordination.etcd.lock.prefix", "Must start with '/'");
	}

	@Test
	void readWritePrefixWithoutLeadingSlashFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.lock.read-write-prefix=rwlocks", "coordination.etcd.lock.read-write-prefix",
				"Must start with '/'");
	}

	@Test
	void semaphorePrefixWithoutLeadingSlashFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.lock.semaphore-prefix=semaphores", "coordination.etcd.lock.semaphore-prefix",
				"Must start with '/'");
	}

	@Test
	void emptyPrefixFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.lock.prefix=", "coordination.etcd.lock.prefix", "Must start with '/'");
	}

	@Test
	void prefixWithAControlCharacterFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.lock.semaphore-prefix=/sema\tphores", "coordination.etcd.lock.semaphore-prefix",
				"control characters");
	}

	@Test
	void readWritePrefixInsideTheLockPrefixFailsNamingBothProperties() {
		assertInvalid("coordination.etcd.lock.read-write-prefix=/locks/rw", "coordination.etcd.lock.read-write-prefix",
				"Overlaps coordination.etcd.lock.prefix");
	}

	@Test
	void lockPrefixInsideTheSemaphorePrefixFailsNamingBothProperties() {
		assertInvalid("coordination.etcd.lock.prefix=/semaphores/locks", "coordination.etcd.lock.prefix",
				"Overlaps coordination.etcd.lock.semaphore-prefix");
	}

	@Test
	void equalPrefixesFailNamingTheProperties() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.lock.read-write-prefix=/shared",
					"coordination.etcd.lock.semaphore-prefix=/shared/")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.lock.read-write-prefix")
				.hasMessageContaining("Overlaps coordination.etcd.lock.semaphore-prefix"));
	}

	@Test
	void rootPrefixOverlapsEveryOtherPrefix() {
		assertInvalid("coordination.etcd.lock.prefix=/", "coordination.etcd.lock.read-write-prefix",
				"Overlaps coordination.etcd.lock.prefix (/)");
	}

	@Test
	void prefixesThatShareOnlyTheirBeginningDoNotOverlapAndTrailingSlashesAreDropped() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.lock.prefix=/locks/", "coordination.etcd.lock.read-write-prefix=/locks-rw",
					"coordination.etcd.lock.semaphore-prefix=/locksmith//")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				LockProperties properties = context.getBean(LockProperties.class);
				assertThat(properties.lockKeyPrefix()).isEqualTo("/locks");
				assertThat(properties.readWriteKeyPrefix()).isEqualTo("/locks-rw");
				assertThat(properties.semaphoreKeyPrefix()).isEqualTo("/locksmith");
			});
	}

	@Test
	void negativeDefaultWaitTimeFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.lock.default-wait-time=-1s", "coordination.etcd.lock.default-wait-time",
				"Must not be negative");
	}

	@Test
	void negativeDefaultWaitTimeFailsEvenWithAUserDefinedRegistry() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.default-wait-time=-1s")
			.withBean(RecordingLockRegistry.class, RecordingLockRegistry::new)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("coordination.etcd.lock.default-wait-time"));
	}

	@Test
	void defaultWaitTimeThatIsNoDurationFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.default-wait-time=soon")
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("coordination.etcd.lock.default-wait-time"));
	}

	@Test
	void zeroDefaultWaitTimeIsAccepted() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.default-wait-time=0")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	private void assertInvalid(String property, String name, String reason) {
		this.contextRunner.withPropertyValues(property)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining(name)
				.hasMessageContaining(reason));
	}

	private static void assertLockedReportRunsAsItsLockSays(AssertableApplicationContext context, boolean jdkProxy) {
		Report report = context.getBean(Report.class);
		assertThat(AopUtils.isJdkDynamicProxy(report)).isEqualTo(jdkProxy);
		assertThat(AopUtils.isCglibProxy(report)).isEqualTo(!jdkProxy);
		RecordingLockRegistry registry = context.getBean(RecordingLockRegistry.class);
		assertThat(report.run()).isEqualTo("ran");
		registry.grant = false;
		assertThat(report.run()).isNull();
		assertThat(registry.obtained).containsExactly("report", "report");
	}

	private static void assertAnnotatedTaskIsLocked(AssertableApplicationContext context, boolean jdkProxy) {
		AnnotatedTask task = context.getBean(AnnotatedTask.class);
		assertThat(AopUtils.isJdkDynamicProxy(task)).isEqualTo(jdkProxy);
		RecordingLockRegistry registry = context.getBean(RecordingLockRegistry.class);
		assertThat(task.run("a")).isEqualTo("ran a");
		registry.grant = false;
		assertThat(task.run("b")).isNull();
		assertThat(registry.obtained).containsExactly("task/a", "task/b");
		assertThat(registry.unlocks).hasValue(1);
	}

	private ApplicationContextRunner withoutBootsAop() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
					LockAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ AopAutoConfiguration.class, EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
			LockAutoConfiguration.class })
	static class ImportedAutoConfigurations {

	}

	static class LaterWork {

		@DistributedLocked(key = "'later'")
		public Callable<String> later() {
			return () -> "too late";
		}

	}

	/**
	 * A registry of the application's own: every lock it gives is granted or refused at once (as
	 * {@link #grant} says), and it records the keys obtained, the wait times asked for, the releases
	 * and the listeners added.
	 */
	static class RecordingLockRegistry implements DistributedLockRegistry {

		final List<String> obtained = new CopyOnWriteArrayList<>();

		final List<Duration> waits = new CopyOnWriteArrayList<>();

		final AtomicInteger unlocks = new AtomicInteger();

		final List<LockListener> added = new CopyOnWriteArrayList<>();

		volatile boolean grant;

		RecordingLockRegistry() {
			this(true);
		}

		RecordingLockRegistry(boolean grant) {
			this.grant = grant;
		}

		@Override
		public DistributedLock obtain(String key) {
			this.obtained.add(key);
			return new RecordingLock(key);
		}

		@Override
		public CompletableFuture<LockHold> acquireAsync(String key, Duration waitTime) {
			throw new UnsupportedOperationException();
		}

		@Override
		public DistributedReadWriteLock readWriteLock(String key) {
			throw new UnsupportedOperationException();
		}

		@Override
		public DistributedSemaphore semaphore(String key, int permits) {
			throw new UnsupportedOperationException();
		}

		@Override
		public List<HeldLock> heldLocks() {
			return List.of();
		}

		@Override
		public void addListener(LockListener listener) {
			this.added.add(listener);
		}

		@Override
		public void removeListener(LockListener listener) {
			this.added.remove(listener);
		}

		final class RecordingLock implements DistributedLock {

			private final String key;

			RecordingLock(String key) {
				this.key = key;
			}

			@Override
			public String key() {
				return this.key;
			}

			@Override
			public boolean tryLock(long time, TimeUnit unit) {
				RecordingLockRegistry.this.waits.add(Duration.ofNanos(unit.toNanos(time)));
				return RecordingLockRegistry.this.grant;
			}

			@Override
			public boolean tryLock() {
				return tryLock(0, TimeUnit.NANOSECONDS);
			}

			@Override
			public void unlock() {
				RecordingLockRegistry.this.unlocks.incrementAndGet();
			}

			@Override
			public void lock() {
				throw new UnsupportedOperationException();
			}

			@Override
			public void lockInterruptibly() {
				throw new UnsupportedOperationException();
			}

			@Override
			public Condition newCondition() {
				throw new UnsupportedOperationException();
			}

			@Override
			public boolean isHeldByCurrentThread() {
				return false;
			}

			@Override
			public OptionalLong fencingToken() {
				return OptionalLong.empty();
			}

			@Override
			public WriteResult fencedWrite(FencedWrite write) {
				throw new UnsupportedOperationException();
			}

			@Override
			public <T> T executeLocked(Duration waitTime, LockedTask<T> task) {
				throw new UnsupportedOperationException();
			}

		}

	}

	/**
	 * Lock metrics of the application's own, recording the names of the acquisitions it observed.
	 */
	static class RecordingLockMetrics implements LockMetrics {

		final List<String> acquired = new CopyOnWriteArrayList<>();

		@Override
		public boolean acquire(String name, Acquisition acquisition) throws InterruptedException {
			this.acquired.add(name);
			return acquisition.acquire();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class LockListenersConfiguration {

		@Bean
		@Order(2)
		LockListener secondLockListener() {
			return (event) -> {
			};
		}

		@Bean
		@Order(1)
		LockListener firstLockListener(DistributedLockRegistry registry) {
			// depends on the registry it listens to: registered once every bean exists
			return (event) -> {
			};
		}

	}

	static class BadExpression {

		@DistributedLocked(key = "'orders/' + #id +")
		public void process() {
		}

	}

	static class BadWaitTime {

		@DistributedLocked(key = "'x'", waitTime = "soon")
		public void process() {
		}

	}

	static class PrimitiveSkip {

		@DistributedLocked(key = "'x'", onTimeout = OnTimeout.SKIP)
		public int count() {
			return 1;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OrdersConfiguration {

		@Bean
		Orders orders() {
			return new Orders();
		}

	}

	static class Orders {

		@DistributedLocked(key = "#id")
		public String process(String id) {
			return id;
		}

	}

	/**
	 * Locked work whose class proxy can be defined by a {@link FilteredClassLoader}: a
	 * package-private superclass is only accessible from its own class loader.
	 */
	public static class PublicOrders {

		@DistributedLocked(key = "'orders/' + #id", waitTime = "0")
		public String process(String id) {
			return id;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ReportsConfiguration {

		@Bean
		Reports reports() {
			return new Reports();
		}

	}

	static class Reports {

		int calls;

		// read through the proxy: its own fields are never set
		int calls() {
			return this.calls;
		}

		@DistributedLocked(key = "'reports/daily'", waitTime = "0", onTimeout = OnTimeout.SKIP, name = "daily-report")
		public String daily() {
			this.calls++;
			return "ran";
		}

		@DistributedLocked(key = "'reports/weekly'", waitTime = "0", onTimeout = OnTimeout.SKIP)
		public Optional<String> weekly() {
			this.calls++;
			return Optional.of("ran");
		}

		@DistributedLocked(key = "'reports/monthly'", waitTime = "0", onTimeout = OnTimeout.SKIP)
		public void monthly() {
			this.calls++;
		}

		@DistributedLocked(key = "'reports/strict'")
		public String strict() {
			return "ran";
		}

		public String notLocked() {
			return "always";
		}

	}

	interface Report {

		String run();

	}

	static class LockedReport implements Report {

		@Override
		@DistributedLocked(key = "'report'", waitTime = "0", onTimeout = OnTimeout.SKIP)
		public String run() {
			return "ran";
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ReportConfiguration {

		@Bean
		LockedReport lockedReport() {
			return new LockedReport();
		}

	}

	interface AnnotatedTask {

		@DistributedLocked(key = "'task/' + #id", waitTime = "0", onTimeout = OnTimeout.SKIP)
		String run(String id);

	}

	static class AnnotatedTaskImpl implements AnnotatedTask {

		@Override
		public String run(String id) {
			return "ran " + id;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class AnnotatedInterfaceConfiguration {

		@Bean
		AnnotatedTaskImpl annotatedTask() {
			return new AnnotatedTaskImpl();
		}

	}

	interface BadTask {

		@DistributedLocked(key = "'task/' + #id +")
		String run(String id);

	}

	static class BadTaskImpl implements BadTask {

		@Override
		public String run(String id) {
			return id;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class BadInterfaceConfiguration {

		@Bean
		BadTaskImpl badTask() {
			return new BadTaskImpl();
		}

	}

}
