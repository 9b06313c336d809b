import {
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import { MONEY_MAX_AMOUNT, MONEY_MAX_FRACTION_DIGITS, isMoneyAmount } from '../money/money';
import { CATEGORY_PATTERN, CURRENCY_PATTERN, LANGUAGE_PATTERN, SAFE_ID_PATTERN } from './limits';

/** Composes decorators into one (class-validator stores each as its own metadata entry). */
function compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    for (const decorate of decorators) decorate(target, key);
  };
}

/** An id: 1-128 characters of A-Z a-z 0-9 . _ : - */
export function IsSafeId(options?: ValidationOptions): PropertyDecorator {
  return compose(
    IsString(options),
    Matches(SAFE_ID_PATTERN, {
      ...options,
      message: '$property must be 1-128 characters of A-Z a-z 0-9 . _ : -',
    }),
  );
}

export function IsCategory(): PropertyDecorator {
  return compose(
    IsString(),
    Matches(CATEGORY_PATTERN, { message: '$property must be 1-64 characters of A-Z a-z 0-9 . _ : -' }),
  );
}

export function IsCurrencyCode(): PropertyDecorator {
  return compose(
    IsString(),
    Matches(CURRENCY_PATTERN, { message: '$property must be a 3-letter upper-case currency code' }),
  );
}

export function IsLanguageTag(): PropertyDecorator {
  return compose(
    IsString(),
    Matches(LANGUAGE_PATTERN, { message: '$property must be a language tag such as "en" or "pt-BR"' }),
  );
}

/** Money in major units: finite, >= 0, at most 4 fractional digits, <= MONEY_MAX_AMOUNT. */
export function IsMoneyAmount(): PropertyDecorator {
  return ValidateBy({
    name: 'isMoneyAmount',
    validator: {
      validate: (value: unknown) => isMoneyAmount(value),
      defaultMessage: () =>
        `$property must be a finite number >= 0 and <= ${MONEY_MAX_AMOUNT} with at most ` +
        `${MONEY_MAX_FRACTION_DIGITS} fractional digits`,
    },
  });
}

/** Non-empty free text of at most `max` characters. */
export function IsBoundedText(max: number): PropertyDecorator {
  return compose(
    IsString(),
    ValidateBy({
      name: 'isNonBlank',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && value.trim().length > 0,
        defaultMessage: () => '$property must not be empty',
      },
    }),
    MaxLength(max),
  );
}

/** A non-negative integer up to `max`. */
export function IsCount(max: number): PropertyDecorator {
  return compose(IsInt(), Min(0), Max(max));
}
