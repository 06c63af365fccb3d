package dev.coordination.lock.internal;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;

import dev.coordination.etcd.internal.UninterceptedMethodException;
import dev.coordination.lock.DistributedLocked;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Checks {@link DistributedLocked} methods when their bean is created: the key expression parses,
 * the wait time is a duration, a skipped call can be expressed by the return type, and Spring's
 * proxy can intercept the method (not static, private or final). A failure names the method.
 */
public class DistributedLockedBeanPostProcessor implements BeanPostProcessor, EnvironmentAware {

	private final Duration defaultWaitTime;

	// as CoordinationProxyRegistrar and Boot's AOP auto-configuration choose the proxies
	private boolean proxyTargetClass = true;

	public DistributedLockedBeanPostProcessor(Duration defaultWaitTime) {
		this.defaultWaitTime = defaultWaitTime;
	}

	@Override
	public void setEnvironment(Environment environment) {
		this.proxyTargetClass = environment.getProperty("spring.aop.proxy-target-class", Boolean.class, true);
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) {
		Class<?> type = ClassUtils.getUserClass(AopUtils.getTargetClass(bean));
		Map<Method, DistributedLocked> methods = MethodIntrospector.selectMethods(type,
				(MethodIntrospector.MetadataLookup<DistributedLocked>) (method) -> AnnotatedElementUtils
					.findMergedAnnotation(method, DistributedLocked.class));
		methods.forEach((method, annotation) -> {
			try {
				UninterceptedMethodException.check(method, "@DistributedLocked", this.proxyTargetClass,
						"run without the lock");
				LockedMethod.of(method, annotation, this.defaultWaitTime);
			}
			catch (IllegalStateException ex) {
				throw new BeanCreationException(beanName, String.valueOf(ex.getMessage()), ex);
			}
		});
		return bean;
	}

}
