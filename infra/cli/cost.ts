/**
 * `npm run cost -- --stack <name>`: owned vs API cost, break-even and verdict for every
 * workload of a stack, before any cloud spend. Exit 0 on success, 2 on invalid config.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_MAX_PRICE_AGE_DAYS } from "../../policies/economics/catalog";
import { evaluateStack } from "../stack-economics";
import { renderCostChartSvg } from "./chart";
import { EXIT, EXIT_CODES_HELP, loadSelectedStack, parseFormat, runCli, runCommand, tableOptions } from "./common";
import { costJson, costMarkdown, costTable, nonFiniteFigures, wrap } from "./cost-report";
import { priceAgeWarnings } from "./price-age";

interface CostOptions {
  stack?: string;
  config?: string;
  format: string;
  chart?: string;
  wide?: boolean;
  maxPriceAgeDays: number;
}

function days(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number of days of at least 0");
  return n;
}

export function costCommand(): Command {
  return new Command("cost")
    .description("Owned vs API cost, break-even utilization and a verdict for each workload of a stack")
    .option("-s, --stack <name>", "stack name: reads Pulumi.<name>.yaml")
    .option("-c, --config <file>", "a stack file to read instead of Pulumi.<stack>.yaml")
    .option("-f, --format <format>", "table | markdown | json", "table")
    .option("--chart <file.svg>", "also write an SVG chart of cost against utilization")
    .option("--max-price-age-days <days>", "warn about every catalog price the report used that is older than this", days, DEFAULT_MAX_PRICE_AGE_DAYS)
    .option("--wide", "table: every column, however wide (default: fit the terminal, 120 columns when piped)")
    .addHelpText("after", `\n${EXIT_CODES_HELP}`)
    .exitOverride()
    .action(async (options: CostOptions) => {
      await runCommand(async () => {
        const format = parseFormat(options.format);
        const { stack, file, config, economicsSource } = loadSelectedStack(options);
        const evaluation = evaluateStack(config, stack, { economicsSource, stackFile: file });
        const warnings = priceAgeWarnings(config, evaluation, options.maxPriceAgeDays);
        const json = { ...(costJson(evaluation) as object), priceWarnings: warnings };
        const nonFinite = nonFiniteFigures(json);
        // The schema bounds every input so this stays empty; a figure that is not a number is a bug, never output.
        if (nonFinite.length > 0) throw new Error(`the cost model produced a figure that is not a finite number at ${nonFinite.slice(0, 5).join(", ")}`);
        if (options.chart !== undefined) {
          const target = path.resolve(options.chart);
          const svg = await renderCostChartSvg(evaluation);
          // Write beside, then rename: a failed run never leaves half a chart.
          const partial = `${target}.partial-${process.pid}`;
          fs.writeFileSync(partial, svg);
          fs.renameSync(partial, target);
        }
        const report =
          format === "json" ? JSON.stringify(json, null, 2) : format === "markdown" ? costMarkdown(evaluation) : costTable(evaluation, tableOptions(options.wide));
        const width = tableOptions(options.wide);
        const warningLines =
          format === "json" ? [] : warnings.flatMap((w) => (format === "markdown" ? [`- ⚠ ${w}`] : wrap(`warning: ${w}`, width.wide === true ? Number.POSITIVE_INFINITY : (width.width ?? 120), "  ")));
        const out = warningLines.length > 0 ? `${report}\n\nPrices older than ${options.maxPriceAgeDays} days:\n${warningLines.join("\n")}` : report;
        process.stdout.write(`${out}\n`);
        if (options.chart !== undefined && format !== "json") process.stderr.write(`chart written to ${options.chart}\n`);
        return EXIT.ok;
      });
    });
}

if (require.main === module) void runCli(costCommand());
