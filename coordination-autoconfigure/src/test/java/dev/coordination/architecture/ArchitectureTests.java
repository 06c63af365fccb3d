package dev.coordination.architecture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shape of the code base, checked on the compiled classes: capabilities do not reach into each
 * other, dependencies point one way ({@code autoconfigure -> capability -> session -> etcd}), the
 * public API is exactly what the README lists, and no public signature of it exposes an internal or
 * jetcd type.
 */
class ArchitectureTests {

	private static final String ROOT = "dev.coordination";

	private static final List<String> CAPABILITIES = List.of("election", "lock", "shard", "config", "discovery");

	private static JavaClasses classes;

	@BeforeAll
	static void importClasses() {
		classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
			.importPackages(ROOT);
		assertThat(classes).as("classes of the starter").hasSizeGreaterThan(100);
	}

	@Test
	void aCapabilityDoesNotReachIntoAnotherCapabilityOrTheWiring() {
		for (String capability : CAPABILITIES) {
			List<String> forbidden = new ArrayList<>();
			CAPABILITIES.stream().filter((other) -> !other.equals(capability)).forEach((other) -> forbidden.add(ROOT + "." + other + ".."));
			forbidden.add(ROOT + ".autoconfigure..");
			forbidden.add(ROOT + ".actuate..");
			ArchRule rule = noClasses().that()
				.resideInAPackage(ROOT + "." + capability + "..")
				.should()
				.dependOnClassesThat()
				.resideInAnyPackage(forbidden.toArray(String[]::new))
				.because("a capability uses only itself, the session and etcd: what two share moves down");
			rule.check(classes);
		}
	}

	@Test
	void theSessionAndTheEtcdAccessDependOnNoCapability() {
		List<String> above = new ArrayList<>();
		CAPABILITIES.forEach((capability) -> above.add(ROOT + "." + capability + ".."));
		above.add(ROOT + ".autoconfigure..");
		above.add(ROOT + ".actuate..");
		noClasses().that()
			.resideInAPackage(ROOT + ".session..")
			.should()
			.dependOnClassesThat()
			.resideInAnyPackage(above.toArray(String[]::new))
			.check(classes);
		above.add(ROOT + ".session..");
		noClasses().that()
			.resideInAPackage(ROOT + ".etcd..")
			.should()
			.dependOnClassesThat()
			.resideInAnyPackage(above.toArray(String[]::new))
			.check(classes);
	}

	@Test
	void autoConfigurationsArePublicFinalClasses() {
		classes().that()
			.haveSimpleNameEndingWith("AutoConfiguration")
			.and()
			.areTopLevelClasses()
			.should()
			.bePublic()
			.andShould()
			.haveModifier(JavaModifier.FINAL)
			.check(classes);
	}

	@Test
	void thePublicTypesOutsideInternalAndAutoconfigureAreExactlyTheOnesTheReadmeLists() throws IOException {
		Map<String, Set<String>> listed = readmeApi();
		Map<String, Set<String>> actual = new TreeMap<>();
		for (JavaClass type : classes) {
			if (isApiPackage(type.getPackageName()) && isPublicApi(type)) {
				actual.computeIfAbsent(type.getPackageName(), (name) -> new TreeSet<>()).add(apiName(type));
			}
		}
		Map<String, Set<String>> listedApi = new TreeMap<>(listed);
		listedApi.keySet().removeIf((name) -> !isApiPackage(name));
		assertThat(actual).as("public types outside internal and autoconfigure packages, by package, against the"
				+ " README's \"What you program against\"").isEqualTo(listedApi);
	}

	@Test
	void everyTypeTheReadmeListsInTheWiringPackagesIsPublic() throws IOException {
		Map<String, Set<String>> listed = readmeApi();
		assertThat(listed).as("packages of the wiring listed in the README").containsKey(ROOT + ".autoconfigure.etcd");
		listed.forEach((packageName, names) -> {
			if (isApiPackage(packageName)) {
				return;
			}
			for (String name : names) {
				JavaClass type = classes.get(packageName + "." + name.replace('.', '$'));
				assertThat(isPublicApi(type)).as("%s.%s is public", packageName, name).isTrue();
			}
		});
	}

	@Test
	void noPublicSignatureOfTheApiExposesAnInternalType() throws IOException {
		Map<String, Set<String>> listed = readmeApi();
		members().that(arePublicMembersOfPublicApiTypes())
			.and(DescribedPredicate.describe("of a type of the API",
					(JavaMember member) -> isApiPackage(member.getOwner().getPackageName())
							|| listed.getOrDefault(member.getOwner().getPackageName(), Set.of())
								.contains(apiName(member.getOwner()))))
			.should(notMention("an internal type", (type) -> type.getPackageName().contains(".internal")))
			.because("a public signature may only use public API types: internals change without notice")
			.check(classes);
	}

	@Test
	void noJetcdTypeInTheCapabilityApis() {
		members().that(arePublicMembersOfPublicApiTypes())
			.and(DescribedPredicate.describe("of a capability or the session",
					(JavaMember member) -> !member.getOwner().getPackageName().startsWith(ROOT + ".etcd")
							&& !member.getOwner().getPackageName().startsWith(ROOT + ".autoconfigure")))
			.should(notMention("a jetcd type", (type) -> type.getPackageName().startsWith("io.etcd")))
			.because("EtcdTemplate is the one deliberate low-level escape hatch to jetcd")
			.check(classes);
	}

	private static boolean isApiPackage(String packageName) {
		return packageName.startsWith(ROOT + ".") && !packageName.contains(".internal")
				&& !packageName.startsWith(ROOT + ".autoconfigure");
	}

	private static boolean isPublicApi(JavaClass type) {
		if (type.isAnonymousClass() || type.isLocalClass() || !type.getModifiers().contains(JavaModifier.PUBLIC)) {
			return false;
		}
		return type.getEnclosingClass().map(ArchitectureTests::isPublicApi).orElse(true);
	}

	private static String apiName(JavaClass type) {
		return type.getEnclosingClass().map((outer) -> apiName(outer) + "." + type.getSimpleName())
			.orElse(type.getSimpleName());
	}

	private static DescribedPredicate<JavaMember> arePublicMembersOfPublicApiTypes() {
		return DescribedPredicate.describe("public or protected members of public types",
				(member) -> isPublicApi(member.getOwner()) && !member.getOwner().getPackageName().contains(".internal")
						&& (member.getModifiers().contains(JavaModifier.PUBLIC)
								|| member.getModifiers().contains(JavaModifier.PROTECTED))
						&& !member.getModifiers().contains(JavaModifier.SYNTHETIC));
	}

	private static ArchCondition<JavaMember> notMention(String what, java.util.function.Predicate<JavaClass> bad) {
		return new ArchCondition<>("not mention " + what + " in its signature") {

			@Override
			public void check(JavaMember member, ConditionEvents events) {
				List<JavaType> types = new ArrayList<>();
				if (member instanceof JavaField field) {
					types.add(field.getType());
				}
				if (member instanceof JavaCodeUnit code) {
					types.add(code.getReturnType());
					types.addAll(code.getParameterTypes());
					code.getThrowsClause().getTypes().forEach(types::add);
				}
				for (JavaType type : types) {
					for (JavaClass mentioned : type.getAllInvolvedRawTypes()) {
						if (bad.test(mentioned)) {
							events.add(SimpleConditionEvent.violated(member,
									member.getFullName() + " mentions " + mentioned.getName()));
						}
					}
				}
			}

		};
	}

	/**
	 * The README's "What you program against" table: package to type names (nested types as
	 * {@code Outer.Inner}).
	 */
	static Map<String, Set<String>> readmeApi() throws IOException {
		Path readme = Path.of("..", "README.md");
		String text = Files.readString(readme);
		int start = text.indexOf("## What you program against");
		assertThat(start).as("the README's section \"What you program against\"").isNotNegative();
		int end = text.indexOf("\n## ", start + 3);
		String section = text.substring(start, (end > 0) ? end : text.length());
		Map<String, Set<String>> api = new TreeMap<>();
		Pattern row = Pattern.compile("^\\| `(dev\\.coordination[\\w.]*)` \\|(.*)\\|\\s*$", Pattern.MULTILINE);
		Pattern name = Pattern.compile("`@?([A-Z][\\w.]*)`");
		Matcher rows = row.matcher(section);
		while (rows.find()) {
			Set<String> names = api.computeIfAbsent(rows.group(1), (key) -> new TreeSet<>());
			Matcher names2 = name.matcher(rows.group(2));
			while (names2.find()) {
				names.add(names2.group(1));
			}
		}
		assertThat(api).as("packages listed in \"What you program against\"").isNotEmpty();
		return api;
	}

}
