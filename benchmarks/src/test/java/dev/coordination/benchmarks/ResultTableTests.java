package dev.coordination.benchmarks;

import java.util.List;

import dev.coordination.benchmarks.ResultTable.Row;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Tests for {@link ResultTable}.
 */
class ResultTableTests {

	private static final Row PUT = new Row("EtcdFloorBenchmark.put", "sample", 1000, 800, 20, 700, 4000, "us/op",
			null);

	private static final Row TEMPLATE_PUT = new Row("EtcdFloorBenchmark.templatePut", "sample", 1000, 850, 25, 770,
			4100, "us/op", "EtcdFloorBenchmark.put");

	@Test
	void ratioDividesMediansWhenBothAreSampled() {
		ResultTable table = new ResultTable(List.of(PUT, TEMPLATE_PUT));
		assertThat(table.ratio(TEMPLATE_PUT)).isCloseTo(1.1, within(1e-9));
		assertThat(table.ratio(PUT)).isNaN();
	}

	@Test
	void ratioDividesScoresWhenNotSampled() {
		Row floor = new Row("A.floor", "avgt", 3, 200, 10, Double.NaN, Double.NaN, "us/op", null);
		Row other = new Row("A.other", "avgt", 3, 300, 10, Double.NaN, Double.NaN, "us/op", "A.floor");
		assertThat(new ResultTable(List.of(floor, other)).ratio(other)).isEqualTo(1.5);
	}

	@Test
	void aBenchmarkWithParametersIsComparedWithItsFloorAtTheSameParameters() {
		Row floorOf5 = new Row("A.floor (instances=5)", "sample", 1000, 1, 0, 1, 2, "us/op", null);
		Row floorOf1000 = new Row("A.floor (instances=1000)", "sample", 1000, 4, 0, 4, 8, "us/op", null);
		Row otherOf5 = new Row("A.other (instances=5)", "sample", 1000, 10, 0, 10, 20, "us/op", "A.floor");
		Row otherOf1000 = new Row("A.other (instances=1000)", "sample", 1000, 20, 0, 20, 40, "us/op", "A.floor");
		ResultTable table = new ResultTable(List.of(floorOf5, floorOf1000, otherOf5, otherOf1000));
		assertThat(table.ratio(otherOf5)).isEqualTo(10);
		assertThat(table.ratio(otherOf1000)).isEqualTo(5);
	}

	@Test
	void ratioIsBlankWhenTheFloorDidNotRunOrDiffers() {
		assertThat(new ResultTable(List.of(TEMPLATE_PUT)).ratio(TEMPLATE_PUT)).isNaN();
		Row averaged = new Row("EtcdFloorBenchmark.put", "avgt", 3, 800, 20, Double.NaN, Double.NaN, "us/op", null);
		assertThat(new ResultTable(List.of(averaged, TEMPLATE_PUT)).ratio(TEMPLATE_PUT)).isNaN();
	}

	@Test
	void formatAlignsColumnsAndNamesTheFloor() {
		String[] lines = new ResultTable(List.of(PUT, TEMPLATE_PUT)).format().split("\n");
		assertThat(lines).hasSize(3);
		assertThat(lines[0]).startsWith("Benchmark").contains("p50", "p99", "vs floor");
		assertThat(lines[1]).contains("EtcdFloorBenchmark.put", "800.0", "± 20.0", "700.0", "4000.0", "us/op")
			.doesNotContain(" x ");
		assertThat(lines[2]).endsWith("1.10 x put");
		assertThat(lines[1].indexOf("us/op")).isEqualTo(lines[2].indexOf("us/op"));
	}

}
