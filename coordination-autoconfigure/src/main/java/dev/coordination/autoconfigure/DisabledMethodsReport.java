package dev.coordination.autoconfigure;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;

/**
 * Collects the methods of one of the starter's annotations while beans are created, and logs ONE
 * warning naming them once every singleton exists: the capability behind the annotation is turned
 * off, and the application should know which of its methods are affected. Nothing is logged when
 * no bean has such a method.
 */
public final class DisabledMethodsReport implements BeanPostProcessor, SmartInitializingSingleton {

	private static final Log logger = LogFactory.getLog(DisabledMethodsReport.class);

	private final Class<? extends Annotation> annotation;

	private final boolean onClasses;

	private final String disabledBy;

	private final String consequence;

	private final Set<String> methods = new ConcurrentSkipListSet<>();

	/**
	 * Create the report.
	 * @param annotation the annotation whose methods are affected
	 * @param onClasses whether the annotation on a class stands for its public methods
	 * @param disabledBy the property that turned the capability off, such as
	 * {@code coordination.enabled=false}
	 * @param consequence what happens to those methods, for the warning
	 */
	public DisabledMethodsReport(Class<? extends Annotation> annotation, boolean onClasses, String disabledBy,
			String consequence) {
		this.annotation = annotation;
		this.onClasses = onClasses;
		this.disabledBy = disabledBy;
		this.consequence = consequence;
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) {
		Class<?> type = ClassUtils.getUserClass(AopUtils.getTargetClass(bean));
		boolean onClass = this.onClasses && AnnotatedElementUtils.hasAnnotation(type, this.annotation);
		Map<Method, Boolean> found = MethodIntrospector.selectMethods(type,
				(MethodIntrospector.MetadataLookup<Boolean>) (method) -> (AnnotatedElementUtils.hasAnnotation(method,
						this.annotation)
						|| (onClass && Modifier.isPublic(method.getModifiers()) && !Modifier.isStatic(method.getModifiers())
								&& method.getDeclaringClass() != Object.class))
								? Boolean.TRUE : null);
		found.keySet().forEach((method) -> this.methods.add(type.getName() + "." + method.getName() + "()"));
		return bean;
	}

	@Override
	public void afterSingletonsInstantiated() {
		if (this.methods.isEmpty()) {
			return;
		}
		int count = this.methods.size();
		logger.warn(this.disabledBy + ": @" + this.annotation.getSimpleName() + " methods " + this.consequence
				+ ". Affected (" + count + "): " + String.join(", ", this.methods));
	}

	/**
	 * The methods found so far.
	 * @return their names, {@code Class.method()}
	 */
	public Set<String> methods() {
		return Set.copyOf(this.methods);
	}

}
