package dev.coordination.autoconfigure;

import org.springframework.aop.config.AopConfigUtils;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Makes sure an auto-proxy creator exists, so that {@code @LeaderOnly} and
 * {@code @DistributedLocked} take effect even without Boot's AOP auto-configuration
 * ({@code spring.aop.auto=false}): a method that silently ran on every instance would be worse
 * than a failure. Registers the infrastructure creator only when none is there; an AspectJ-aware one
 * registered by the application or Boot takes precedence. Class-based proxies follow
 * {@code spring.aop.proxy-target-class} as Boot's own AOP configuration does (default {@code true});
 * the starter never forces them on an application that chose interface-based proxies.
 */
public final class CoordinationProxyRegistrar implements ImportBeanDefinitionRegistrar, EnvironmentAware {

	private boolean proxyTargetClass = true;

	@Override
	public void setEnvironment(Environment environment) {
		this.proxyTargetClass = environment.getProperty("spring.aop.proxy-target-class", Boolean.class, true);
	}

	@Override
	public void registerBeanDefinitions(AnnotationMetadata importingClassMetadata, BeanDefinitionRegistry registry) {
		AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
		if (this.proxyTargetClass) {
			AopConfigUtils.forceAutoProxyCreatorToUseClassProxying(registry);
		}
	}

}
