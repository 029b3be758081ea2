/** Reading the schema documents of a directory (shared by the registry and the build). */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The schema documents of a directory: file name, text and parsed schema, sorted by file. */
export function readSchemaFiles(dir: string): Array<{ file: string; text: string; schema: Record<string, any> }> {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.schema.json'))
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      return { file, text, schema: JSON.parse(text) };
    });
}

/** The id a schema document is registered under. */
export function schemaId(file: string, schema: Record<string, any>): string {
  return schema.$id ?? `file:///${file}`;
}
