from decimal import Decimal

from market.money import format_cop, line_total_cop


def test_money_is_shown_colombian_style():
    assert format_cop(12500) == "$\xa012.500"
    assert format_cop(1250000) == "$\xa01.250.000"


def test_line_total_rounds_half_up_once():
    assert line_total_cop(2500, Decimal("1.5")) == 3750
    assert line_total_cop(3333, Decimal("0.5")) == 1667
