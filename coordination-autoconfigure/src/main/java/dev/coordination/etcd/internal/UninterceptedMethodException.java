package dev.coordination.etcd.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

import org.jspecify.annotations.Nullable;

import org.springframework.util.ClassUtils;

/**
 * Thrown when a method carries one of the starter's annotations ({@code @LeaderOnly},
 * {@code @DistributedLocked}) that Spring's proxy can never intercept: a static or private method,
 * or a final one behind a class-based proxy. Spring AOP ignores such an annotation without a word,
 * so the method would run on every instance, or without its lock; start-up fails instead, naming the
 * method and why.
 */
public class UninterceptedMethodException extends IllegalStateException {

	private final Method method;

	private final String annotation;

	private final String reason;

	private final String consequence;

	UninterceptedMethodException(Method method, String annotation, String reason, String consequence) {
		super(annotation + " method " + describe(method) + " is " + reason
				+ ", so Spring's proxy never intercepts it: every call would " + consequence + ". Make it a public"
				+ " (or protected) method that is neither static nor final, and call it through the bean");
		this.method = method;
		this.annotation = annotation;
		this.reason = reason;
		this.consequence = consequence;
	}

	/**
	 * Fail when Spring's proxy cannot intercept a method that carries an annotation of the starter.
	 * @param method the annotated method
	 * @param annotation the annotation, such as {@code @LeaderOnly}
	 * @param proxyTargetClass whether beans are proxied by subclassing
	 * ({@code spring.aop.proxy-target-class}, by default {@code true})
	 * @param consequence what every call would do, such as {@code run on every instance}
	 * @throws UninterceptedMethodException when the proxy cannot intercept the method
	 */
	public static void check(Method method, String annotation, boolean proxyTargetClass, String consequence) {
		String reason = reason(method, proxyTargetClass);
		if (reason != null) {
			throw new UninterceptedMethodException(method, annotation, reason, consequence);
		}
	}

	private static @Nullable String reason(Method method, boolean proxyTargetClass) {
		int modifiers = method.getModifiers();
		if (Modifier.isStatic(modifiers)) {
			return "static";
		}
		if (Modifier.isPrivate(modifiers)) {
			return "private";
		}
		if (Modifier.isFinal(modifiers) || Modifier.isFinal(method.getDeclaringClass().getModifiers())) {
			// an interface-based proxy still intercepts a final implementation of an interface method
			boolean throughInterface = !proxyTargetClass
					&& ClassUtils.getInterfaceMethodIfPossible(method, method.getDeclaringClass()) != method;
			if (!throughInterface) {
				return Modifier.isFinal(modifiers) ? "final" : "declared by final class "
						+ method.getDeclaringClass().getName();
			}
		}
		return null;
	}

	private static String describe(Method method) {
		return method.getDeclaringClass().getName() + "." + method.getName() + "()";
	}

	/**
	 * The annotated method.
	 * @return the method
	 */
	public Method getMethod() {
		return this.method;
	}

	/**
	 * The annotation, such as {@code @LeaderOnly}.
	 * @return its name with {@code @}
	 */
	public String getAnnotation() {
		return this.annotation;
	}

	/**
	 * Why the proxy cannot intercept the method, such as {@code private}.
	 * @return the reason
	 */
	public String getReason() {
		return this.reason;
	}

	/**
	 * What every call would do, such as {@code run on every instance}.
	 * @return the consequence
	 */
	public String getConsequence() {
		return this.consequence;
	}

}
