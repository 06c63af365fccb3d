package dev.coordination.lock.internal;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;

import net.javacrumbs.shedlock.spring.annotation.EnableSchedulerLock;
import net.javacrumbs.shedlock.spring.annotation.SchedulerLock;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;

/**
 * Checks {@code @SchedulerLock} methods when their bean is created, which ShedLock itself does only
 * when the job first runs: {@code lockAtLeastFor} must not be longer than {@code lockAtMostFor},
 * each taken from the annotation or, when it names none, from {@code @EnableSchedulerLock}'s
 * defaults. Values are resolved as placeholders and read as durations ({@code 30s}, {@code PT30S},
 * or milliseconds); a value this check cannot read is left to ShedLock. A failure names the
 * method.
 */
public class SchedulerLockBeanPostProcessor implements BeanPostProcessor {

	private final ConfigurableListableBeanFactory beanFactory;

	private volatile @Nullable Defaults defaults;

	public SchedulerLockBeanPostProcessor(ConfigurableListableBeanFactory beanFactory) {
		this.beanFactory = beanFactory;
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) {
		Class<?> type = ClassUtils.getUserClass(AopUtils.getTargetClass(bean));
		Map<Method, SchedulerLock> methods = MethodIntrospector.selectMethods(type,
				(MethodIntrospector.MetadataLookup<SchedulerLock>) (method) -> AnnotatedElementUtils
					.findMergedAnnotation(method, SchedulerLock.class));
		if (methods.isEmpty()) {
			return bean;
		}
		Defaults defaults = defaults();
		methods.forEach((method, annotation) -> {
			@Nullable String atMost = annotation.lockAtMostFor().isEmpty() ? defaults.lockAtMostFor() : annotation.lockAtMostFor();
			@Nullable String atLeast = annotation.lockAtLeastFor().isEmpty() ? defaults.lockAtLeastFor()
					: annotation.lockAtLeastFor();
			Duration lockAtMostFor = parse(atMost);
			Duration lockAtLeastFor = parse(atLeast);
			if (lockAtMostFor != null && lockAtLeastFor != null && lockAtLeastFor.compareTo(lockAtMostFor) > 0) {
				throw new BeanCreationException(beanName, "@SchedulerLock method " + LockedMethod.describe(method)
						+ " has lockAtLeastFor " + shown(atLeast, lockAtLeastFor) + " longer than lockAtMostFor "
						+ shown(atMost, lockAtMostFor) + ": lockAtLeastFor must be at most lockAtMostFor"
						+ (annotation.lockAtMostFor().isEmpty() ? " (from @EnableSchedulerLock(defaultLockAtMostFor))" : ""));
			}
		});
		return bean;
	}

	// the text as written, with its value when that reads differently (a placeholder, 1m against PT1M)
	private static String shown(@Nullable String text, Duration value) {
		return value.toString().equals(text) ? "'" + text + "'" : "'" + text + "' (" + value + ")";
	}

	private @Nullable Duration parse(@Nullable String value) {
		if (value == null || value.isEmpty()) {
			return null;
		}
		String resolved = this.beanFactory.resolveEmbeddedValue(value);
		if (resolved == null || resolved.isBlank()) {
			return null;
		}
		try {
			return DurationStyle.detectAndParse(resolved.trim());
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

	private Defaults defaults() {
		Defaults defaults = this.defaults;
		if (defaults == null) {
			@Nullable String atMost = null;
			@Nullable String atLeast = null;
			for (String name : this.beanFactory.getBeanNamesForAnnotation(EnableSchedulerLock.class)) {
				EnableSchedulerLock enable = this.beanFactory.findAnnotationOnBean(name, EnableSchedulerLock.class, false);
				if (enable != null) {
					atMost = enable.defaultLockAtMostFor();
					atLeast = enable.defaultLockAtLeastFor();
				}
			}
			defaults = new Defaults(atMost, atLeast);
			this.defaults = defaults;
		}
		return defaults;
	}

	private record Defaults(@Nullable String lockAtMostFor, @Nullable String lockAtLeastFor) {
	}

}
