package dev.coordination.election;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Binds a {@link org.springframework.context.SmartLifecycle} bean to an election: it is started
 * when this instance is granted leadership and stopped when leadership is revoked (the
 * primary/secondary pattern). The bean's {@code isAutoStartup()} must return {@code false}, or the
 * context would start it on every instance.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface LeaderLifecycle {

	/**
	 * The election whose leadership starts the bean.
	 * @return the election name
	 */
	String value() default LeaderElection.DEFAULT;

}
