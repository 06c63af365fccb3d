package dev.coordination.shard.internal;

import java.lang.reflect.Method;
import java.util.Collection;
import java.util.Map;
import java.util.function.Supplier;

import dev.coordination.etcd.internal.UninterceptedMethodException;
import dev.coordination.shard.ShardedBy;
import dev.coordination.shard.ShardedWorkload;
import dev.coordination.shard.ShardedWorkloads;
import org.jspecify.annotations.NullMarked;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Checks {@link ShardedBy} methods when their bean is created: Spring's proxy can intercept the
 * method (not static, private or final: {@link UninterceptedMethodException}), its workload is
 * configured, its parameters and return type fit ({@link InvalidShardedMethodException}). A
 * failure names the method. With sharding turned off, workload names are not checked.
 */
@NullMarked
public class ShardedByBeanPostProcessor implements BeanPostProcessor, EnvironmentAware {

	private final @Nullable Supplier<ShardedWorkloads> workloads;

	// as CoordinationProxyRegistrar and Boot's AOP auto-configuration choose the proxies
	private boolean proxyTargetClass = true;

	/**
	 * Create the post-processor.
	 * @param workloads the workloads, asked for their names once a bean has a {@code @ShardedBy}
	 * method; {@code null} when sharding is turned off
	 */
	public ShardedByBeanPostProcessor(@Nullable Supplier<ShardedWorkloads> workloads) {
		this.workloads = workloads;
	}

	@Override
	public void setEnvironment(Environment environment) {
		this.proxyTargetClass = environment.getProperty("spring.aop.proxy-target-class", Boolean.class, true);
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) {
		Class<?> type = ClassUtils.getUserClass(AopUtils.getTargetClass(bean));
		Map<Method, ShardedBy> methods = MethodIntrospector.selectMethods(type,
				(MethodIntrospector.MetadataLookup<ShardedBy>) (method) -> AnnotatedElementUtils
					.findMergedAnnotation(method, ShardedBy.class));
		if (methods.isEmpty()) {
			return bean;
		}
		Collection<String> names = workloadNames();
		methods.forEach((method, annotation) -> {
			try {
				UninterceptedMethodException.check(method, "@ShardedBy", this.proxyTargetClass,
						"run on every instance, whatever shards it owns");
				ShardedMethod.of(method, annotation, names);
			}
			catch (IllegalStateException ex) {
				throw new BeanCreationException(beanName, String.valueOf(ex.getMessage()), ex);
			}
		});
		return bean;
	}

	private @Nullable Collection<String> workloadNames() {
		Supplier<ShardedWorkloads> workloads = this.workloads;
		return (workloads != null)
				? workloads.get().workloads().stream().map(ShardedWorkload::name).toList() : null;
	}

}
