package dev.coordination.lock.internal;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.coordination.etcd.internal.AsyncReturnType;
import dev.coordination.lock.DistributedLocked;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.ExpressionState;
import org.springframework.expression.spel.SpelNode;
import org.springframework.expression.spel.ast.Elvis;
import org.springframework.expression.spel.ast.OpAnd;
import org.springframework.expression.spel.ast.OpOr;
import org.springframework.expression.spel.ast.OpPlus;
import org.springframework.expression.spel.ast.Ternary;
import org.springframework.expression.spel.ast.VariableReference;
import org.springframework.expression.spel.standard.SpelExpression;
import org.springframework.expression.spel.standard.SpelExpressionParser;

/**
 * A {@link DistributedLocked} method, checked and parsed once: its key expression, wait time and
 * what a skipped call returns.
 * <p>
 * Immutable and thread-safe. {@link #of} rejects an annotation that cannot work (a key that does
 * not parse, a wait time that is no duration or is negative, a skipped call the return type cannot
 * express, a return type whose work the lock cannot be held for, see {@link AsyncReturnType}) with
 * an {@link IllegalStateException} naming the method, so that it fails when the bean is created; a
 * key that does not parse or references a variable the method does not have ({@code #orderId} on
 * {@code m(String id)}) fails with an {@link InvalidLockKeyException} that names the valid ones.
 * {@link #key} rejects a key that evaluates to nothing, or that concatenates a {@code null} part
 * ({@code 'orders/' + #id} with {@code id} null would lock {@code orders/null}, one lock for every
 * such call), with an {@link IllegalArgumentException} naming the method, when it is called.
 */
final class LockedMethod {

	private static final SpelExpressionParser parser = new SpelExpressionParser();

	private static final ParameterNameDiscoverer parameterNames = new DefaultParameterNameDiscoverer();

	private final Method method;

	private final Expression key;

	private final Duration waitTime;

	private final DistributedLocked.OnTimeout onTimeout;

	private final String name;

	private final AsyncReturnType returnType;

	private final Duration holdAtLeast;

	private LockedMethod(Method method, Expression key, Duration waitTime, DistributedLocked.OnTimeout onTimeout,
			String name, AsyncReturnType returnType, Duration holdAtLeast) {
		this.method = method;
		this.key = key;
		this.waitTime = waitTime;
		this.onTimeout = onTimeout;
		this.name = name;
		this.returnType = returnType;
		this.holdAtLeast = holdAtLeast;
	}

	/**
	 * Check and parse an annotated method.
	 * @throws IllegalStateException naming the method when the annotation cannot work
	 */
	static LockedMethod of(Method method, DistributedLocked annotation, Duration defaultWaitTime) {
		String described = describe(method);
		AsyncReturnType returnType = AsyncReturnType.of(method, "@DistributedLocked");
		Expression key;
		try {
			key = parser.parseExpression(annotation.key());
		}
		catch (ParseException ex) {
			throw new InvalidLockKeyException(method, annotation.key(), null, variables(method),
					"@DistributedLocked method " + described + " has an invalid key expression '" + annotation.key()
							+ "': it does not parse: " + ex.getMessage(), ex);
		}
		checkVariables(method, annotation.key(), key);
		Duration waitTime;
		try {
			waitTime = annotation.waitTime().isEmpty() ? defaultWaitTime : DurationStyle.detectAndParse(annotation.waitTime());
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalStateException("@DistributedLocked method " + described + " has an invalid waitTime '"
					+ annotation.waitTime() + "': use a duration such as 5s, 500ms or 0", ex);
		}
		if (waitTime.isNegative()) {
			throw new IllegalStateException("@DistributedLocked method " + described + " has a negative waitTime '"
					+ annotation.waitTime() + "'");
		}
		if (annotation.onTimeout() == DistributedLocked.OnTimeout.SKIP && method.getReturnType().isPrimitive()
				&& method.getReturnType() != void.class) {
			throw new IllegalStateException("@DistributedLocked method " + described + " returns "
					+ method.getReturnType() + ", which cannot express a skipped call: return void, an object or an"
					+ " Optional, or use onTimeout = THROW");
		}
		Duration holdAtLeast;
		try {
			holdAtLeast = annotation.holdAtLeast().isEmpty() ? Duration.ZERO
					: DurationStyle.detectAndParse(annotation.holdAtLeast());
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalStateException("@DistributedLocked method " + described + " has an invalid holdAtLeast '"
					+ annotation.holdAtLeast() + "': use a duration such as 30s, 500ms or 0", ex);
		}
		if (holdAtLeast.isNegative()) {
			throw new IllegalStateException("@DistributedLocked method " + described + " has a negative holdAtLeast '"
					+ annotation.holdAtLeast() + "': use a duration of 0 or more, such as 30s");
		}
		if (!holdAtLeast.isZero() && returnType.kind() == AsyncReturnType.Kind.PUBLISHER) {
			throw new IllegalStateException("@DistributedLocked method " + described + " returns "
					+ method.getReturnType().getName() + " and has holdAtLeast '" + annotation.holdAtLeast()
					+ "', which reactive types do not support: return a CompletionStage or a plain value,"
					+ " or remove holdAtLeast");
		}
		String name = annotation.name().isEmpty()
				? method.getDeclaringClass().getSimpleName() + "." + method.getName() : annotation.name();
		return new LockedMethod(method, key, waitTime, annotation.onTimeout(), name, returnType, holdAtLeast);
	}

	/**
	 * Evaluate the key of one call.
	 * @param target the bean the method is called on
	 * @param arguments the call's arguments
	 * @return the key, never empty
	 * @throws IllegalArgumentException when the expression fails or gives {@code null} or an empty
	 * text
	 */
	String key(@Nullable Object target, @Nullable Object[] arguments) {
		MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(target, this.method, arguments,
				parameterNames);
		Object value;
		try {
			value = this.key.getValue(context);
		}
		catch (RuntimeException ex) {
			throw new IllegalArgumentException("@DistributedLocked method " + describe(this.method)
					+ ": the key expression '" + this.key.getExpressionString() + "' failed: " + ex.getMessage(), ex);
		}
		if (value == null || value.toString().isEmpty()) {
			throw new IllegalArgumentException("@DistributedLocked method " + describe(this.method)
					+ ": the key expression '" + this.key.getExpressionString() + "' evaluated to "
					+ ((value == null) ? "null" : "an empty text") + "; it must give a non-empty key");
		}
		String text = value.toString();
		if (text.contains("null")) {
			// SpEL writes a null operand of '+' as the text "null": look for one only then
			String nullPart = nullPart(context);
			if (nullPart != null) {
				throw new IllegalArgumentException("@DistributedLocked method " + describe(this.method)
						+ ": the key expression '" + this.key.getExpressionString() + "' has a null part in this call: "
						+ nullPart + " is null, which would give the key '" + text
						+ "', one lock shared by every such call; pass a non-null value, or give the key a default"
						+ " for it (" + defaultHint(nullPart) + ")");
			}
		}
		return text;
	}

	private @Nullable String nullPart(MethodBasedEvaluationContext context) {
		return (this.key instanceof SpelExpression spel) ? nullPart(spel.getAST(), new ExpressionState(context)) : null;
	}

	/**
	 * The first operand of a string concatenation that is {@code null} in this call, looking only
	 * where the evaluation went: the branch a condition ({@code ?:}, {@code a ?: b}) took, not the
	 * other one, whose operands may well be null (an optional tenant: {@code #tenant == null ?
	 * 'global/' + #id : #tenant + '/' + #id}).
	 */
	private static @Nullable String nullPart(SpelNode node, ExpressionState state) {
		if (node instanceof Ternary) {
			Object condition = value(node.getChild(0), state);
			if (!(condition instanceof Boolean taken)) {
				return null;
			}
			return nullPart(node.getChild(taken ? 1 : 2), state);
		}
		if (node instanceof Elvis) {
			String inFirst = nullPart(node.getChild(0), state);
			if (inFirst != null) {
				return inFirst;
			}
			Object first = value(node.getChild(0), state);
			boolean fallback = first == null || (first instanceof String text && text.isEmpty())
					|| (first instanceof Optional<?> optional && optional.isEmpty());
			return fallback ? nullPart(node.getChild(1), state) : null;
		}
		if (node instanceof OpAnd || node instanceof OpOr) {
			// short-circuit: the right side may not run; neither side concatenates the key's text
			return null;
		}
		if (node instanceof OpPlus && node.getChildCount() == 2) {
			for (int i = 0; i < 2; i++) {
				SpelNode part = node.getChild(i);
				if (!(part instanceof OpPlus)) {
					if (isNull(part, state)) {
						String shown = part.toStringAST();
						return (part instanceof VariableReference) ? "parameter " + shown : shown;
					}
				}
			}
		}
		for (int i = 0; i < node.getChildCount(); i++) {
			String inChild = nullPart(node.getChild(i), state);
			if (inChild != null) {
				return inChild;
			}
		}
		return null;
	}

	private static boolean isNull(SpelNode part, ExpressionState state) {
		try {
			return part.getValue(state) == null;
		}
		catch (RuntimeException ex) {
			// a part that needs its surroundings (#this in a selection) cannot be told apart
			return false;
		}
	}

	private static @Nullable Object value(SpelNode node, ExpressionState state) {
		try {
			return node.getValue(state);
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

	private static String defaultHint(String nullPart) {
		String expression = nullPart.startsWith("parameter ") ? nullPart.substring("parameter ".length()) : nullPart;
		return expression + " ?: 'none'";
	}

	/**
	 * Fail when the key references a variable that is none of the method's parameters: it would
	 * evaluate to {@code null} at every call.
	 */
	private static void checkVariables(Method method, String keyText, Expression key) {
		if (!(key instanceof SpelExpression spel)) {
			return;
		}
		List<String> valid = variables(method);
		Set<String> referenced = new LinkedHashSet<>();
		collectVariables(spel.getAST(), referenced);
		for (String variable : referenced) {
			if (!valid.contains(variable)) {
				String[] names = parameterNames.getParameterNames(method);
				String hint = (names == null && method.getParameterCount() > 0)
						? " (the parameter names are not known: compile with -parameters, or use #p0, #p1 ...)" : "";
				throw new InvalidLockKeyException(method, keyText, variable, valid,
						"@DistributedLocked method " + describe(method) + " has a key expression '" + keyText
								+ "' that references " + variable + ", which is not one of its parameters; valid names: "
								+ String.join(", ", valid) + hint,
						null);
			}
		}
	}

	private static void collectVariables(SpelNode node, Set<String> variables) {
		if (node instanceof VariableReference) {
			variables.add(node.toStringAST());
		}
		for (int i = 0; i < node.getChildCount(); i++) {
			collectVariables(node.getChild(i), variables);
		}
	}

	/**
	 * The variables a key of this method can reference, each with {@code #}.
	 */
	static List<String> variables(Method method) {
		List<String> variables = new ArrayList<>();
		String[] names = parameterNames.getParameterNames(method);
		if (names != null) {
			for (String name : names) {
				variables.add("#" + name);
			}
		}
		for (int i = 0; i < method.getParameterCount(); i++) {
			variables.add("#p" + i);
		}
		for (int i = 0; i < method.getParameterCount(); i++) {
			variables.add("#a" + i);
		}
		variables.add("#root");
		variables.add("#this");
		return variables;
	}

	Duration waitTime() {
		return this.waitTime;
	}

	DistributedLocked.OnTimeout onTimeout() {
		return this.onTimeout;
	}

	String name() {
		return this.name;
	}

	/**
	 * How long the lock stays held at least after its acquisition.
	 * @return the minimum hold time, {@link Duration#ZERO} for none
	 */
	Duration holdAtLeast() {
		return this.holdAtLeast;
	}

	/**
	 * How the method hands back its work: the lock is held until it is done.
	 * @return the return type's kind
	 */
	AsyncReturnType returnType() {
		return this.returnType;
	}

	/**
	 * What a skipped call returns: an empty {@code Optional}, or {@code null}.
	 * @return the result of a skipped call
	 */
	@Nullable Object skipped() {
		return (this.method.getReturnType() == Optional.class) ? Optional.empty() : null;
	}

	static String describe(Method method) {
		return method.getDeclaringClass().getName() + "." + method.getName() + "()";
	}

}
