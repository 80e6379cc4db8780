/**
 * How a driver's settings appear on an admin screen: one entry per field an
 * admin fills in, with its label, help text and input kind. Admin screens and
 * command-line prompts render settings from these; the driver's schema still
 * decides what is valid. A driver lists the fields an admin needs (the seed
 * guides' settings tables); tuning it leaves out keeps whatever the app stored.
 */
import type { DriverDefinition } from './driver-definition.js';

/**
 * The input a field needs: free `text`, a `secret` (never shown again, blank
 * keeps the stored one), a `url`, a `number`, an on/off `boolean`, or one of
 * a fixed set of `select` options.
 */
export type SettingsFieldKind = 'text' | 'secret' | 'url' | 'number' | 'boolean' | 'select';

/** Where a field belongs: what every set-up fills in, or options most leave alone. */
export type SettingsSection = 'connection' | 'advanced';

/** One choice of a `select` field. */
export interface SettingsFieldOption {
  /** The stored value. */
  readonly value: string;
  /** What the admin sees. */
  readonly label: string;
}

/** What every kind of field has. */
interface SettingsFieldBase {
  /** The settings key, e.g. "accessKeyId". */
  readonly name: string;
  /** Short label, e.g. "Access Key ID". */
  readonly label: string;
  /** One or two sentences an admin reads next to the input: what goes there, and where to find it. */
  readonly help: string;
  /** The settings are incomplete without it (always false for booleans). */
  readonly required: boolean;
  readonly section: SettingsSection;
}

/** A field typed into an input box. */
export interface InputSettingsField extends SettingsFieldBase {
  readonly kind: 'text' | 'secret' | 'url' | 'number';
  /** An example value shown in the empty input; "" for none. */
  readonly placeholder: string;
}

/** An on/off field. */
export interface BooleanSettingsField extends SettingsFieldBase {
  readonly kind: 'boolean';
  /** What the driver does when the field is not set, so a screen can show the effective state. */
  readonly default: boolean;
}

/** A field with a fixed set of values; not set means the driver's default. */
export interface SelectSettingsField extends SettingsFieldBase {
  readonly kind: 'select';
  /** The choices, at least one. */
  readonly options: readonly SettingsFieldOption[];
}

/** One settings field as an admin screen shows it. */
export type SettingsField = InputSettingsField | BooleanSettingsField | SelectSettingsField;

/**
 * Why a definition's `fields` cannot be rendered: duplicate or empty names,
 * empty labels or help, a select without options, a field of kind "secret"
 * not listed in `secretFields` or a listed secret of another kind (it would be
 * shown in the clear). Empty when they are fine.
 */
export function settingsFieldsProblems(definition: Pick<DriverDefinition, 'fields' | 'secretFields'>): string[] {
  const problems: string[] = [];
  if (!Array.isArray(definition.fields)) return ['fields: must be an array of settings fields'];
  const seen = new Set<string>();
  for (const [index, field] of definition.fields.entries()) {
    const name = typeof field?.name === 'string' && field.name !== '' ? field.name : undefined;
    const where = name ? `fields.${name}` : `fields[${index}]`;
    if (!name) problems.push(`${where}: needs a name`);
    else if (seen.has(name)) problems.push(`${where}: listed twice`);
    if (name) seen.add(name);
    if (typeof field?.label !== 'string' || field.label.trim() === '') problems.push(`${where}: needs a label`);
    if (typeof field?.help !== 'string' || field.help.trim() === '') problems.push(`${where}: needs a help text`);
    if (field?.kind === 'select' && !(Array.isArray(field.options) && field.options.length > 0)) {
      problems.push(`${where}: a select needs at least one option`);
    }
    const secret = field?.kind === 'secret';
    if (name && secret !== definition.secretFields.includes(name)) {
      problems.push(
        secret
          ? `${where}: is a secret but not in secretFields`
          : `${where}: is in secretFields, so its kind is "secret"`,
      );
    }
  }
  return problems;
}
