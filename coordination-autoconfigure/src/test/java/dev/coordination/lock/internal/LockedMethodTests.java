package dev.coordination.lock.internal;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.DistributedLocked.OnTimeout;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * {@link LockedMethod}: what a {@link DistributedLocked} method is checked for when its bean is
 * created, and how its key is evaluated on each call. No etcd.
 */
class LockedMethodTests {

	private static final Duration DEFAULT_WAIT_TIME = Duration.ofSeconds(5);

	private final Methods target = new Methods();

	@Test
	void invalidKeyExpressionIsRejectedNamingTheMethodAndTheExpression() {
		assertThatIllegalStateException().isThrownBy(() -> parse("badExpression"))
			.withMessageStartingWith("@DistributedLocked method " + Methods.class.getName() + ".badExpression()")
			.withMessageContaining("has an invalid key expression ''orders/' +'");
	}

	@Test
	void waitTimeThatIsNoDurationIsRejectedNamingTheMethod() {
		assertThatIllegalStateException().isThrownBy(() -> parse("badWaitTime"))
			.withMessageStartingWith("@DistributedLocked method " + Methods.class.getName() + ".badWaitTime()")
			.withMessageContaining("has an invalid waitTime 'soon'")
			.withMessageContaining("use a duration such as 5s, 500ms or 0");
	}

	@Test
	void negativeWaitTimeIsRejectedNamingTheMethod() {
		assertThatIllegalStateException().isThrownBy(() -> parse("negativeWaitTime"))
			.withMessageStartingWith("@DistributedLocked method " + Methods.class.getName() + ".negativeWaitTime()")
			.withMessageContaining("has a negative waitTime '-1s'");
	}

	@Test
	void primitiveReturnTypeWithSkipIsRejectedBecauseASkippedCallCannotBeExpressed() {
		assertThatIllegalStateException().isThrownBy(() -> parse("primitiveSkip"))
			.withMessageStartingWith("@DistributedLocked method " + Methods.class.getName() + ".primitiveSkip()")
			.withMessageContaining("returns int");
	}

	@Test
	void primitiveReturnTypeWithThrowIsAccepted() {
		assertThat(parse("primitiveThrow").onTimeout()).isEqualTo(OnTimeout.THROW);
	}

	@Test
	void skippedCallReturnsNothingForVoidNullForAnObjectAndEmptyForAnOptional() {
		assertThat(parse("voidSkip").skipped()).isNull();
		assertThat(parse("objectSkip").skipped()).isNull();
		assertThat(parse("optionalSkip").skipped()).isEqualTo(Optional.empty());
	}

	@Test
	void nameDefaultsToClassAndMethodAndAnExplicitNameIsKept() {
		assertThat(parse("defaults").name()).isEqualTo("Methods.defaults");
		assertThat(parse("named").name()).isEqualTo("orders");
	}

	@Test
	void waitTimeDefaultsToTheConfiguredOneAndAnExplicitOneIsParsed() {
		assertThat(parse("defaults").waitTime()).isEqualTo(DEFAULT_WAIT_TIME);
		assertThat(parse("named").waitTime()).isEqualTo(Duration.ofMillis(250));
		assertThat(parse("zeroWaitTime").waitTime()).isZero();
	}

	@Test
	void keyIsEvaluatedOverArgumentsByNameAndByPosition() {
		assertThat(parse("defaults").key(this.target, new Object[] { "42" })).isEqualTo("orders/42");
		assertThat(parse("byPosition").key(this.target, new Object[] { "a", 7 })).isEqualTo("a-7");
	}

	@Test
	void keyEvaluatingToNullFailsTheCallNamingTheMethod() {
		assertThatIllegalArgumentException().isThrownBy(() -> parse("plainKey").key(this.target, new Object[] { null }))
			.withMessageStartingWith("@DistributedLocked method " + Methods.class.getName() + ".plainKey()")
			.withMessageContaining("the key expression '#id' evaluated to null; it must give a non-empty key");
	}

	@Test
	void keyEvaluatingToAnEmptyTextFailsTheCallNamingTheMethod() {
		assertThatIllegalArgumentException().isThrownBy(() -> parse("plainKey").key(this.target, new Object[] { "" }))
			.withMessageStartingWith("@DistributedLocked method " + Methods.class.getName() + ".plainKey()")
			.withMessageContaining("the key expression '#id' evaluated to an empty text");
	}

	@Test
	void keyExpressionThatFailsToEvaluateFailsTheCallNamingTheMethod() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> parse("navigatesNull").key(this.target, new Object[] { null }))
			.withMessageStartingWith("@DistributedLocked method " + Methods.class.getName() + ".navigatesNull()")
			.withMessageContaining("the key expression '#id.length()' failed");
	}

	@Test
	void keyReferencingAVariableTheMethodDoesNotHaveIsRejectedNamingTheValidOnes() {
		assertThatExceptionOfType(InvalidLockKeyException.class).isThrownBy(() -> parse("missingParameter"))
			.withMessageStartingWith("@DistributedLocked method " + Methods.class.getName() + ".missingParameter()")
			.withMessageContaining("references #orderId, which is not one of its parameters;"
					+ " valid names: #id, #p0, #a0, #root, #this")
			.satisfies((ex) -> assertThat(ex.getUnknownVariable()).isEqualTo("#orderId"));
		assertThat(parse("byPosition").key(this.target, new Object[] { "a", 7 })).isEqualTo("a-7");
	}

	@Test
	void keyWithANullPartFailsTheCallNamingItInsteadOfGivingNullText() {
		assertThatIllegalArgumentException().isThrownBy(() -> parse("defaults").key(this.target, new Object[] { null }))
			.withMessageStartingWith("@DistributedLocked method " + Methods.class.getName() + ".defaults()")
			.withMessageContaining("the key expression ''orders/' + #id' has a null part in this call: parameter #id is null")
			.withMessageContaining("'orders/null'");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> parse("byPosition").key(this.target, new Object[] { null, 7 }))
			.withMessageContaining("parameter #p0 is null");
	}

	@Test
	void keyThatHandlesNullOrContainsTheTextNullIsLeftAlone() {
		assertThat(parse("withDefault").key(this.target, new Object[] { null })).isEqualTo("orders/none");
		assertThat(parse("nullInText").key(this.target, new Object[] { "1" })).isEqualTo("nullable/1");
	}

	@Test
	void nullPartOfABranchNotTakenIsNoNullPartOfTheKey() {
		// the id contains the text "null"; #tenant is null only in the branch the key does not take
		assertThat(parse("optionalTenant").key(this.target, new Object[] { null, "annulled-42" }))
			.isEqualTo("global/annulled-42");
		assertThat(parse("optionalTenant").key(this.target, new Object[] { "t1", "annulled-42" }))
			.isEqualTo("t1/annulled-42");
		assertThat(parse("optionalTenantElvis").key(this.target, new Object[] { null, "annulled-42" }))
			.isEqualTo("global/annulled-42");
		// a null part of the branch taken is still found
		assertThatIllegalArgumentException()
			.isThrownBy(() -> parse("optionalTenant").key(this.target, new Object[] { "t1", null }))
			.withMessageContaining("parameter #id is null");
	}

	private static LockedMethod parse(String name) {
		Method method = Arrays.stream(Methods.class.getDeclaredMethods())
			.filter((candidate) -> candidate.getName().equals(name))
			.findFirst()
			.orElseThrow();
		return LockedMethod.of(method, method.getAnnotation(DistributedLocked.class), DEFAULT_WAIT_TIME);
	}

	static class Methods {

		@DistributedLocked(key = "'orders/' +")
		void badExpression() {
		}

		@DistributedLocked(key = "'orders'", waitTime = "soon")
		void badWaitTime() {
		}

		@DistributedLocked(key = "'orders'", waitTime = "-1s")
		void negativeWaitTime() {
		}

		@DistributedLocked(key = "'orders'", waitTime = "0")
		void zeroWaitTime() {
		}

		@DistributedLocked(key = "'orders'", onTimeout = OnTimeout.SKIP)
		int primitiveSkip() {
			return 1;
		}

		@DistributedLocked(key = "'orders'")
		int primitiveThrow() {
			return 1;
		}

		@DistributedLocked(key = "'orders'", onTimeout = OnTimeout.SKIP)
		void voidSkip() {
		}

		@DistributedLocked(key = "'orders'", onTimeout = OnTimeout.SKIP)
		String objectSkip() {
			return "done";
		}

		@DistributedLocked(key = "'orders'", onTimeout = OnTimeout.SKIP)
		Optional<String> optionalSkip() {
			return Optional.of("done");
		}

		@DistributedLocked(key = "'orders/' + #id")
		void defaults(String id) {
		}

		@DistributedLocked(key = "'orders/' + #id", name = "orders", waitTime = "250ms")
		void named(String id) {
		}

		@DistributedLocked(key = "#p0 + '-' + #p1")
		void byPosition(String first, int second) {
		}

		@DistributedLocked(key = "#id")
		void plainKey(String id) {
		}

		@DistributedLocked(key = "#id.length()")
		void navigatesNull(String id) {
		}

		@DistributedLocked(key = "'orders/' + #orderId")
		void missingParameter(String id) {
		}

		@DistributedLocked(key = "'orders/' + (#id ?: 'none')")
		void withDefault(String id) {
		}

		@DistributedLocked(key = "#tenant == null ? 'global/' + #id : #tenant + '/' + #id")
		void optionalTenant(String tenant, String id) {
		}

		@DistributedLocked(key = "(#tenant != null ? #tenant + '/' : null) ?: 'global/' + #id")
		void optionalTenantElvis(String tenant, String id) {
		}

		@DistributedLocked(key = "'nullable/' + #id")
		void nullInText(String id) {
		}

	}

}
