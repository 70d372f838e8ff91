import { ValidationPipe, type ValidationError } from '@nestjs/common';

/**
 * Nest's ValidationPipe, naming one broken rule per field: the first one the DTO lists that the value breaks. Without
 * this, `{"tags":"x"}` is also told "tags must contain no more than 64 elements", a rule that cannot apply to a string.
 * A DTO lists a field's rules from the most basic (defined, type) to the most specific; class-validator checks
 * `IsDefined` first and the others bottom-up, so of the rules broken, that one, else the last checked, is the first
 * listed.
 */
export class OneRuleValidationPipe extends ValidationPipe {
  protected override flattenValidationErrors(validationErrors: ValidationError[]): string[] {
    return super.flattenValidationErrors(validationErrors.map(firstBrokenRule));
  }
}

function firstBrokenRule(error: ValidationError): ValidationError {
  const children = error.children?.map(firstBrokenRule);
  if (!error.constraints) return { ...error, children };
  const rules = Object.keys(error.constraints);
  const first = rules.includes('isDefined') ? 'isDefined' : rules.at(-1);
  const constraints = first === undefined ? {} : { [first]: error.constraints[first] ?? '' };
  return { ...error, constraints, children };
}
