package dev.coordination.benchmarks.fleet;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

import javax.imageio.ImageIO;

import dev.coordination.benchmarks.fleet.FleetMeasurement.FleetRow;

/**
 * One PNG per cost of the scale model: the measured points against the fleet size, one colour per
 * cluster shape, and for the costs to etcd and the heap the least-squares line extended (dashed) to
 * 10,000 instances; times are drawn over the measured sizes only (they do not follow a line). Drawn
 * with Java2D, headless.
 */
final class FleetPlots {

	private static final int WIDTH = 720;

	private static final int HEIGHT = 420;

	private static final int LEFT = 80;

	private static final int RIGHT = 30;

	private static final int TOP = 40;

	private static final int BOTTOM = 50;

	private static final Color[] COLOURS = { new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c) };

	private FleetPlots() {
	}

	static List<Path> write(List<FleetRow> rows, Path directory) throws IOException {
		System.setProperty("java.awt.headless", "true");
		List<Path> written = new ArrayList<>();
		if (rows.isEmpty()) {
			return written;
		}
		written.add(plot(rows, directory, "fleet-unary-requests.png", "etcd unary requests per second",
				FleetRow::unaryPerSecond, true));
		written.add(plot(rows, directory, "fleet-stream-messages.png", "etcd stream messages per second (keep-alives)",
				FleetRow::streamMessagesPerSecond, true));
		written.add(plot(rows, directory, "fleet-watchers.png", "etcd watchers", FleetRow::watchers, true));
		written.add(plot(rows, directory, "fleet-etcd-cpu.png", "etcd CPU (cores, all members)",
				FleetRow::etcdCpuCores, true));
		written.add(plot(rows, directory, "fleet-heap.png", "heap per instance (MB)",
				(row) -> row.heapBytesPerInstance() / 1e6, true));
		written.add(plot(rows, directory, "fleet-registration.png", "registration reaches every catalog (ms, p50)",
				(row) -> row.registration().allP50Millis(), false));
		written.add(plot(rows, directory, "fleet-configuration.png",
				"configuration change reaches every instance (ms, p50)", (row) -> row.configuration().allP50Millis(), false));
		return written;
	}

	private static Path plot(List<FleetRow> rows, Path directory, String file, String title,
			ToDoubleFunction<FleetRow> value, boolean extrapolated) throws IOException {
		List<Integer> shapes = rows.stream().map(FleetRow::members).distinct().toList();
		double maxX = extrapolated ? FleetReport.EXTRAPOLATED_SIZE
				: rows.stream().mapToInt(FleetRow::size).max().orElse(1);
		double maxY = 0;
		for (int members : shapes) {
			List<FleetRow> shape = rows.stream().filter((row) -> row.members() == members).toList();
			maxY = Math.max(maxY, shape.stream().mapToDouble(value).max().orElse(0));
			if (extrapolated && shape.size() >= 2) {
				maxY = Math.max(maxY, FleetReport.extrapolate(shape, value));
			}
		}
		maxY = (maxY <= 0) ? 1 : maxY * 1.1;
		BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
		Graphics2D g = image.createGraphics();
		g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
		g.setColor(Color.WHITE);
		g.fillRect(0, 0, WIDTH, HEIGHT);
		g.setColor(Color.BLACK);
		g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
		g.drawString(title, LEFT, 24);
		g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
		int plotWidth = WIDTH - LEFT - RIGHT;
		int plotHeight = HEIGHT - TOP - BOTTOM;
		g.drawRect(LEFT, TOP, plotWidth, plotHeight);
		for (int tick = 0; tick <= 5; tick++) {
			double x = maxX * tick / 5;
			int px = LEFT + (int) (plotWidth * tick / 5.0);
			g.drawLine(px, TOP + plotHeight, px, TOP + plotHeight + 4);
			g.drawString(String.format(Locale.ROOT, "%,.0f", x), px - 15, TOP + plotHeight + 18);
			double y = maxY * tick / 5;
			int py = TOP + plotHeight - (int) (plotHeight * tick / 5.0);
			g.drawLine(LEFT - 4, py, LEFT, py);
			g.drawString(String.format(Locale.ROOT, (maxY < 10) ? "%.2f" : "%,.0f", y), 8, py + 4);
		}
		g.drawString("instances", LEFT + plotWidth / 2 - 20, HEIGHT - 12);
		for (int index = 0; index < shapes.size(); index++) {
			int members = shapes.get(index);
			List<FleetRow> shape = rows.stream().filter((row) -> row.members() == members).toList();
			g.setColor(COLOURS[index % COLOURS.length]);
			int previousX = -1;
			int previousY = -1;
			for (FleetRow row : shape) {
				int px = LEFT + (int) (plotWidth * row.size() / maxX);
				int py = TOP + plotHeight - (int) (plotHeight * value.applyAsDouble(row) / maxY);
				g.fillOval(px - 4, py - 4, 8, 8);
				if (previousX >= 0) {
					g.setStroke(new BasicStroke(2));
					g.drawLine(previousX, previousY, px, py);
				}
				previousX = px;
				previousY = py;
			}
			if (extrapolated && shape.size() >= 2) {
				double[] line = FleetReport.line(shape, value);
				FleetRow last = shape.get(shape.size() - 1);
				int fromX = LEFT + (int) (plotWidth * last.size() / maxX);
				int fromY = TOP + plotHeight - (int) (plotHeight * (line[0] + line[1] * last.size()) / maxY);
				int toY = TOP + plotHeight - (int) (plotHeight * (line[0] + line[1] * maxX) / maxY);
				g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10,
						new float[] { 6, 6 }, 0));
				g.drawLine(fromX, fromY, LEFT + plotWidth, toY);
			}
			g.setStroke(new BasicStroke(1));
			g.drawString(members + " member" + ((members == 1) ? "" : "s") + (extrapolated ? " (dashed: extrapolated)" : ""),
					LEFT + 10, TOP + 16 + 14 * index);
		}
		g.dispose();
		Path path = directory.resolve(file);
		ImageIO.write(image, "png", path.toFile());
		return path;
	}

}
