package dev.coordination.election.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderLifecycle;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.LeadershipRevokedEvent;
import dev.coordination.etcd.internal.AsyncReturnType;
import dev.coordination.etcd.internal.CoordinationThreads;
import dev.coordination.etcd.internal.UninterceptedMethodException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;

/**
 * Checks {@link LeaderOnly} methods when their bean is created, joins their elections so that the
 * instance campaigns from start-up, and binds {@link LeaderLifecycle} beans to their election.
 * <p>
 * A method whose return type cannot express "skipped" (a primitive) with
 * {@link LeaderOnly.OnNotLeader#SKIP} fails bean creation with the method's name, and so does a
 * method whose work runs after it returned in a way {@code @LeaderOnly} cannot follow (a
 * {@code Future} that is no {@code CompletionStage}, a {@code Callable}, a Kotlin {@code suspend}
 * function: see {@link AsyncReturnType}).
 * <p>
 * {@code @LeaderLifecycle} beans start and stop one call at a time, on one thread. When the context
 * starts closing, the running ones are stopped there, before the context's lifecycle processor gets
 * to them: the elections' handover revokes leadership at that moment too, and the bean's stop for
 * that revocation must not run while the context stops the same bean.
 */
public class LeaderOnlyBeanPostProcessor implements BeanPostProcessor, DisposableBean,
		ApplicationListener<ContextClosedEvent>, ApplicationContextAware {

	/**
	 * How long closing the context waits for the {@code @LeaderLifecycle} beans to stop.
	 */
	private static final long CLOSING_STOP_TIMEOUT_SECONDS = 30;

	private static final Log logger = LogFactory.getLog(LeaderOnlyBeanPostProcessor.class);

	private final Supplier<LeaderElections> elections;

	private final ExecutorService lifecycleExecutor;

	private final Map<String, SmartLifecycle> leaderLifecycleBeans = new ConcurrentHashMap<>();

	private volatile @Nullable ApplicationContext context;

	// set when the context starts closing: a grant told later starts nothing
	private volatile boolean closing;

	public LeaderOnlyBeanPostProcessor(Supplier<LeaderElections> elections) {
		this(elections, false);
	}

	/**
	 * Create the post-processor.
	 * @param elections the elections
	 * @param virtualThread whether {@code @LeaderLifecycle} beans start and stop on a virtual thread
	 */
	public LeaderOnlyBeanPostProcessor(Supplier<LeaderElections> elections, boolean virtualThread) {
		this.elections = elections;
		this.lifecycleExecutor = Executors.newSingleThreadExecutor(
				CoordinationThreads.forApplicationCode("coordination-leader-lifecycle", virtualThread));
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) {
		Class<?> type = ClassUtils.getUserClass(AopUtils.getTargetClass(bean));
		LeaderOnly onClass = AnnotatedElementUtils.findMergedAnnotation(type, LeaderOnly.class);
		Map<Method, LeaderOnly> methods = MethodIntrospector.selectMethods(type,
				(MethodIntrospector.MetadataLookup<LeaderOnly>) (method) -> {
					LeaderOnly onMethod = AnnotatedElementUtils.findMergedAnnotation(method, LeaderOnly.class);
					if (onMethod != null) {
						return onMethod;
					}
					// a static method of an annotated class is no work of the bean: the class stands for the others
					return (onClass != null && Modifier.isPublic(method.getModifiers())
							&& !Modifier.isStatic(method.getModifiers()) && method.getDeclaringClass() != Object.class)
									? onClass : null;
				});
		methods.forEach((method, leaderOnly) -> {
			AsyncReturnType returnType;
			try {
				// a class annotation does not answer for the final methods a superclass brings along
				// (ApplicationObjectSupport.getApplicationContext()): only for its own and annotated ones
				if (AnnotatedElementUtils.hasAnnotation(method, LeaderOnly.class)
						|| AnnotatedElementUtils.hasAnnotation(method.getDeclaringClass(), LeaderOnly.class)) {
					UninterceptedMethodException.check(method, "@LeaderOnly", proxyTargetClass(), "run on every instance");
				}
				returnType = LeaderOnlyInterceptor.returnType(method);
			}
			catch (IllegalStateException ex) {
				throw new BeanCreationException(beanName, String.valueOf(ex.getMessage()), ex);
			}
			if (returnType.kind() == AsyncReturnType.Kind.SYNCHRONOUS
					&& leaderOnly.onNotLeader() == LeaderOnly.OnNotLeader.SKIP && method.getReturnType().isPrimitive()
					&& method.getReturnType() != void.class) {
				throw new BeanCreationException(beanName, "@LeaderOnly method " + LeaderOnlyInterceptor.describe(method)
						+ " returns " + method.getReturnType() + ", which cannot express a skipped call: return void,"
						+ " an object or an Optional, or use @LeaderOnly(onNotLeader = THROW)");
			}
			this.elections.get().election(leaderOnly.election());
		});
		LeaderLifecycle lifecycle = AnnotatedElementUtils.findMergedAnnotation(type, LeaderLifecycle.class);
		if (lifecycle != null) {
			bind(bean, beanName, lifecycle.value());
		}
		return bean;
	}

	private void bind(Object bean, String beanName, String electionName) {
		if (!(bean instanceof SmartLifecycle smartLifecycle)) {
			throw new BeanCreationException(beanName, "@LeaderLifecycle bean '" + beanName + "' must implement SmartLifecycle");
		}
		if (smartLifecycle.isAutoStartup()) {
			throw new BeanCreationException(beanName, "@LeaderLifecycle bean '" + beanName
					+ "' returns true from isAutoStartup(): return false, so that only leadership of election '"
					+ electionName + "' starts it");
		}
		this.leaderLifecycleBeans.put(beanName, smartLifecycle);
		this.elections.get().election(electionName).addListener(new LeadershipListener() {

			@Override
			public void granted(LeadershipGrantedEvent event) {
				LeaderOnlyBeanPostProcessor.this.lifecycleExecutor.execute(() -> {
					if (!LeaderOnlyBeanPostProcessor.this.closing) {
						run(beanName, "start", smartLifecycle::start);
					}
				});
			}

			@Override
			public void revoked(LeadershipRevokedEvent event) {
				LeaderOnlyBeanPostProcessor.this.lifecycleExecutor.execute(() -> stopIfRunning(beanName, smartLifecycle));
			}

		});
	}

	@Override
	public void setApplicationContext(ApplicationContext context) {
		this.context = context;
	}

	// as CoordinationProxyRegistrar and Boot's AOP auto-configuration choose the proxies
	private boolean proxyTargetClass() {
		ApplicationContext context = this.context;
		return context == null
				|| context.getEnvironment().getProperty("spring.aop.proxy-target-class", Boolean.class, true);
	}

	/**
	 * Stop the running {@code @LeaderLifecycle} beans when this post-processor's own context starts
	 * closing, on their thread, and wait for them (bounded), so that the context's lifecycle
	 * processor finds them stopped.
	 */
	@Override
	public void onApplicationEvent(ContextClosedEvent event) {
		if (event.getApplicationContext() != this.context || this.leaderLifecycleBeans.isEmpty()) {
			return;
		}
		this.closing = true;
		try {
			Future<?> stopped = this.lifecycleExecutor
				.submit(() -> this.leaderLifecycleBeans.forEach(LeaderOnlyBeanPostProcessor::stopIfRunning));
			stopped.get(CLOSING_STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException | TimeoutException | RuntimeException ex) {
			logger.warn("@LeaderLifecycle beans did not stop within " + CLOSING_STOP_TIMEOUT_SECONDS
					+ " s of the context closing: " + ex);
		}
	}

	@Override
	public void destroy() {
		this.lifecycleExecutor.shutdown();
	}

	private static void stopIfRunning(String beanName, SmartLifecycle bean) {
		if (bean.isRunning()) {
			run(beanName, "stop", bean::stop);
		}
	}

	private static void run(String beanName, String action, Runnable call) {
		try {
			call.run();
		}
		catch (RuntimeException ex) {
			logger.error("Could not " + action + " @LeaderLifecycle bean '" + beanName + "'", ex);
		}
	}

}
