/**
 * The built-in sources. Adding a source means one file, one test and one argument here.
 *
 * @since 0.1.0
 */
import * as FilesSource from "./FilesSource.js"
import * as ManifestSource from "./ManifestSource.js"
import * as Registry from "./Registry.js"
import * as UrlsSource from "./UrlsSource.js"

/**
 * @since 0.1.0
 * @category components
 */
export const registry = Registry.make(FilesSource.component, UrlsSource.component, ManifestSource.component)
