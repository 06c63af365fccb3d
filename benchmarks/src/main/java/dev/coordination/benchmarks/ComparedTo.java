package dev.coordination.benchmarks;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the floor a benchmark method is compared with in the results table of
 * {@link BenchmarkMain}: the table divides this benchmark's median by the floor's median, both
 * measured in the same run. No ratio is shown when the floor did not run.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface ComparedTo {

	/**
	 * Floor benchmark as {@code SimpleClassName.method}, for example {@code EtcdFloorBenchmark.put}.
	 * @return the floor benchmark
	 */
	String value();

}
