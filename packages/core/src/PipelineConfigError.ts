/**
 * Every problem found in a pipeline file, each with its position, so that all are fixed in one go.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * One problem at one place in a pipeline file.
 *
 * @since 0.1.0
 * @category models
 */
export class ConfigIssue extends Schema.Class<ConfigIssue>("ConfigIssue")({
  line: Schema.optional(Schema.Number),
  column: Schema.optional(Schema.Number),
  path: Schema.String,
  message: Schema.String
}) {}

/**
 * @since 0.1.0
 * @category errors
 */
export class PipelineConfigError extends Schema.TaggedError<PipelineConfigError>("@asrflow/core/PipelineConfigError")(
  "PipelineConfigError",
  {
    file: Schema.String,
    issues: Schema.NonEmptyArray(ConfigIssue)
  }
) {
  /**
   * One line per issue: `file:line:col  path.to.key  message`.
   *
   * @since 0.1.0
   */
  get lines(): ReadonlyArray<string> {
    return this.issues.map((issue) => {
      const position = issue.line === undefined ? this.file : `${this.file}:${issue.line}:${issue.column ?? 1}`
      return `${position}  ${issue.path === "" ? "(root)" : issue.path}  ${issue.message}`
    })
  }

  override get message(): string {
    return this.lines.join("\n")
  }
}

/**
 * A single issue without a position, for problems that concern the whole file.
 *
 * @since 0.1.0
 * @category constructors
 */
export const single = (file: string, message: string, path = ""): PipelineConfigError =>
  new PipelineConfigError({ file, issues: [new ConfigIssue({ path, message })] })
