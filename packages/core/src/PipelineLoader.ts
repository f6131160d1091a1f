/**
 * Loads pipeline files: YAML with positions, `${VAR}` interpolation from effect `Config`, and a strict
 * Schema decode whose every problem is reported as `file:line:col  path.to.key  message`.
 *
 * @since 0.1.0
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect, Either, Schema, SchemaAST } from "effect"
import * as ConfigIssues from "./internal/configIssues.js"
import * as InterpolateTree from "./internal/interpolateTree.js"
import * as YamlTree from "./internal/yamlTree.js"
import * as PipelineConfig from "./PipelineConfig.js"
import { ConfigIssue, PipelineConfigError, single } from "./PipelineConfigError.js"

/**
 * A decoded pipeline file and where it came from.
 *
 * @since 0.1.0
 * @category models
 */
export interface Loaded {
  readonly config: PipelineConfig.PipelineConfig
  /** The file as the caller named it. */
  readonly file: string
  /** The absolute directory relative paths in the file resolve against. */
  readonly baseDir: string
}

/**
 * Formats a path as `sources[0].include`.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatPath = YamlTree.formatPath

// =============================================================================
// decoding
// =============================================================================

const decodeTree = (
  tree: YamlTree.Tree,
  file: string,
  registries: PipelineConfig.Registries
): Effect.Effect<PipelineConfig.PipelineConfig, PipelineConfigError> =>
  Effect.gen(function*() {
    const names = new Set<string>()
    InterpolateTree.collectVariables(tree.value, names)
    const env = yield* InterpolateTree.readVariables(names)
    const interpolated = InterpolateTree.interpolateTree(tree, env)
    const value = interpolated.value
    const issues: Array<ConfigIssue> = [...interpolated.issues]
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      issues.push(
        YamlTree.issueAt(
          tree,
          [],
          `expected a mapping with version, sources, provider and sinks, got ${ConfigIssues.describe(value)}`
        )
      )
      return yield* new PipelineConfigError({ file, issues: issues as [ConfigIssue, ...Array<ConfigIssue>] })
    }
    const badSlots: Array<ReadonlyArray<YamlTree.Segment>> = []
    for (const slot of ConfigIssues.slotsOf(value, registries)) {
      const issue = ConfigIssues.checkSlot(tree, value, slot)
      if (issue !== undefined) {
        issues.push(issue)
        badSlots.push(slot.path)
      }
    }
    const schema = PipelineConfig.make(registries)
    const decoded = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(value)
    if (Either.isLeft(decoded)) {
      const skip = (path: ReadonlyArray<YamlTree.Segment>) =>
        interpolated.paths.has(YamlTree.keyOf(path)) || badSlots.some((prefix) => ConfigIssues.startsWith(path, prefix))
      issues.push(...ConfigIssues.schemaIssues(tree, value, decoded.left, SchemaAST.encodedAST(schema.ast), skip))
    }
    if (issues.length > 0 || Either.isLeft(decoded)) {
      const sorted = issues.length > 0 ?
        [...issues].sort(ConfigIssues.byPosition) :
        [new ConfigIssue({ path: "", message: "the pipeline does not match its schema" })]
      return yield* new PipelineConfigError({ file, issues: sorted as [ConfigIssue, ...Array<ConfigIssue>] })
    }
    return decoded.right
  })

/**
 * The file's text, or why it is not a pipeline file at all: a NUL byte or bytes that are not UTF-8 mean
 * a binary file (an audio file given by mistake), refused in one line instead of a page of escapes.
 */
const asText = (bytes: Uint8Array): Either.Either<string, string> => {
  const nul = bytes.indexOf(0)
  if (nul !== -1) {
    return Either.left(
      `not a text file (a NUL byte at offset ${nul}): a pipeline file is YAML text; did you give an audio file?`
    )
  }
  return Either.try({
    try: () => new TextDecoder("utf-8", { fatal: true }).decode(bytes),
    catch: () => "not a text file (its bytes are not UTF-8): a pipeline file is YAML text saved as UTF-8"
  })
}

// =============================================================================
// service
// =============================================================================

/**
 * Decodes pipeline text (YAML). Pure apart from reading interpolated variables through `Config`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeText = (
  text: string,
  file: string,
  registries: PipelineConfig.Registries
): Effect.Effect<PipelineConfig.PipelineConfig, PipelineConfigError> =>
  Either.match(YamlTree.fromYaml(text), {
    onLeft: (issues) =>
      Effect.fail(new PipelineConfigError({ file, issues: issues as [ConfigIssue, ...Array<ConfigIssue>] })),
    onRight: (tree) => decodeTree(tree, file, registries)
  })

/**
 * Decodes a pipeline given as a plain object (the Promise API). Strings are interpolated too; issues
 * have paths but no positions.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeObject = (
  object: unknown,
  registries: PipelineConfig.Registries,
  file = "<object>"
): Effect.Effect<PipelineConfig.PipelineConfig, PipelineConfigError> =>
  decodeTree(YamlTree.fromObject(object), file, registries)

/**
 * Decodes any value strictly against a schema and, when it does not fit, says why in the same words
 * as the pipeline loader (path and message per problem, "did you mean" included), never as a Schema
 * tree. The CLI validates its flags with it.
 *
 * @since 0.2.0
 * @category constructors
 */
export const decodeValue = <A, I>(
  schema: Schema.Schema<A, I>,
  value: unknown
): Either.Either<A, ReadonlyArray<ConfigIssue>> => {
  const decoded = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(value)
  if (Either.isRight(decoded)) return Either.right(decoded.right)
  const issues = ConfigIssues.schemaIssues(
    YamlTree.fromObject(value),
    value,
    decoded.left,
    SchemaAST.encodedAST(schema.ast),
    () => false
  )
  return Either.left(issues.length > 0 ? issues : [new ConfigIssue({ path: "", message: "is not valid here" })])
}

/**
 * Reads and decodes pipeline files.
 *
 * @since 0.1.0
 * @category context
 */
export class PipelineLoader extends Effect.Service<PipelineLoader>()("@asrflow/core/PipelineLoader", {
  accessors: true,
  effect: Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path

    const load = Effect.fn("PipelineLoader.load")(
      function*(file: string, registries: PipelineConfig.Registries) {
        const bytes = yield* fs.readFile(file).pipe(
          Effect.mapError((error) =>
            new PipelineConfigError({
              file,
              issues: [
                new ConfigIssue({
                  path: "",
                  message: error._tag === "SystemError" && error.reason === "NotFound" ?
                    "the pipeline file does not exist" :
                    `cannot read the pipeline file: ${error.message}`
                })
              ]
            })
          )
        )
        const text = yield* Either.match(asText(bytes), {
          onLeft: (message) => Effect.fail(single(file, message)),
          onRight: Effect.succeed
        })
        const config = yield* decodeText(text, file, registries)
        return { config, file, baseDir: path.dirname(path.resolve(file)) } satisfies Loaded
      }
    )

    const loadText = (text: string, file: string, registries: PipelineConfig.Registries) =>
      decodeText(text, file, registries)

    return { load, loadText, decodeObject } as const
  })
}) {}
