/** The getPolicy `data` fields an upload needs. */
export interface PolicyData {
  readonly policy: string
  readonly signature: string
  readonly upload_dir: string
  readonly upload_host: string
  readonly oss_access_key_id: string
  readonly x_oss_object_acl: string
  readonly x_oss_forbid_overwrite: string
}

/**
 * The OSS PostObject form the DashScope SDK sends (fields first, the file last). An override replaces a field,
 * adds one, or (undefined) leaves it out.
 */
export const sdkForm = (
  policy: PolicyData,
  name: string,
  bytes: Buffer,
  overrides: Record<string, string | undefined> = {}
): FormData => {
  const fields: Record<string, string | undefined> = {
    OSSAccessKeyId: policy.oss_access_key_id,
    Signature: policy.signature,
    policy: policy.policy,
    key: `${policy.upload_dir}/${name}`,
    "x-oss-object-acl": policy.x_oss_object_acl,
    "x-oss-forbid-overwrite": policy.x_oss_forbid_overwrite,
    success_action_status: "200",
    "x-oss-content-type": "audio/wav",
    ...overrides
  }
  const body = new FormData()
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) body.append(key, value)
  body.append("file", new Blob([new Uint8Array(bytes)]), name)
  return body
}
