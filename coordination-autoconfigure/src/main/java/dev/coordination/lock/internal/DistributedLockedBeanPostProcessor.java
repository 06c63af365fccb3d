package dev.coordination.lock.internal;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;

import dev.coordination.lock.DistributedLocked;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;

/**
 * Checks {@link DistributedLocked} methods when their bean is created: the key expression parses,
 * the wait time is a duration, and a skipped call can be expressed by the return type. A failure
 * names the method.
 */
public class DistributedLockedBeanPostProcessor implements BeanPostProcessor {

	private final Duration defaultWaitTime;

	public DistributedLockedBeanPostProcessor(Duration defaultWaitTime) {
		this.defaultWaitTime = defaultWaitTime;
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) {
		Class<?> type = ClassUtils.getUserClass(AopUtils.getTargetClass(bean));
		Map<Method, DistributedLocked> methods = MethodIntrospector.selectMethods(type,
				(MethodIntrospector.MetadataLookup<DistributedLocked>) (method) -> AnnotatedElementUtils
					.findMergedAnnotation(method, DistributedLocked.class));
		methods.forEach((method, annotation) -> {
			try {
				LockedMethod.of(method, annotation, this.defaultWaitTime);
			}
			catch (IllegalStateException ex) {
				throw new BeanCreationException(beanName, String.valueOf(ex.getMessage()), ex);
			}
		});
		return bean;
	}

}
