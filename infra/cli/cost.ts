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
import { EXIT, loadSelectedStack, parseFormat, runCli, runCommand } from "./common";
import { costJson, costMarkdown, costTable } from "./cost-report";
import { priceAgeWarnings } from "./price-age";

interface CostOptions {
  stack?: string;
  config?: string;
  format: string;
  chart?: string;
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
    .addHelpText("after", "\nExit codes: 0 success, 2 invalid config or usage.")
    .exitOverride()
    .action(async (options: CostOptions) => {
      await runCommand(async () => {
        const format = parseFormat(options.format);
        const { stack, file, config, economicsSource } = loadSelectedStack(options);
        const evaluation = evaluateStack(config, stack, { economicsSource, stackFile: file });
        const warnings = priceAgeWarnings(config, evaluation, options.maxPriceAgeDays);
        if (options.chart !== undefined) {
          const target = path.resolve(options.chart);
          const svg = await renderCostChartSvg(evaluation);
          // Write beside, then rename: a failed run never leaves half a chart.
          const partial = `${target}.partial-${process.pid}`;
          fs.writeFileSync(partial, svg);
          fs.renameSync(partial, target);
        }
        const report =
          format === "json"
            ? JSON.stringify({ ...(costJson(evaluation) as object), priceWarnings: warnings }, null, 2)
            : format === "markdown"
              ? costMarkdown(evaluation)
              : costTable(evaluation, { color: process.stdout.isTTY === true });
        const warningLines = format === "json" ? [] : warnings.map((w) => (format === "markdown" ? `- ⚠ ${w}` : `warning: ${w}`));
        const out = warningLines.length > 0 ? `${report}\n\nPrices older than ${options.maxPriceAgeDays} days:\n${warningLines.join("\n")}` : report;
        process.stdout.write(`${out}\n`);
        if (options.chart !== undefined && format !== "json") process.stderr.write(`chart written to ${options.chart}\n`);
        return EXIT.ok;
      });
    });
}

if (require.main === module) void runCli(costCommand());
