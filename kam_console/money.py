"""Money is integer fen (分). These helpers convert to and from yuan text; never use float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from kam_console.errors import ValidationError


def yuan_to_fen(text: str | int | Decimal) -> int:
    """Parse a yuan amount with at most 2 decimals ("1234.5", "-0.01", "1,234.00") into fen."""
    s = str(text).strip().replace(",", "")
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise ValidationError(f"金额不是数字：{text!r}", f"amount is not a number: {text!r}") from None
    if not d.is_finite():
        raise ValidationError(f"金额不是数字：{text!r}", f"amount is not a number: {text!r}")
    if d.as_tuple().exponent < -2 and d != d.quantize(Decimal("0.01")):
        raise ValidationError(f"金额最多两位小数：{text!r}", f"at most 2 decimals: {text!r}")
    return int(d * 100)


def fen_to_decimal(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def format_yuan(fen: int | None, *, grouping: bool = True) -> str:
    """12345678 -> '123,456.78' (or '123456.78'); None -> '—'."""
    if fen is None:
        return "—"
    d = fen_to_decimal(fen)
    return f"{d:,.2f}" if grouping else f"{d:.2f}"


def ratio_yuan(numerator_fen: int, divisor: int) -> Decimal | None:
    """numerator_fen / divisor in yuan, rounded half-up to 0.01; None when the divisor is 0."""
    if not divisor:
        return None
    return (Decimal(numerator_fen) / Decimal(100) / Decimal(divisor)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
