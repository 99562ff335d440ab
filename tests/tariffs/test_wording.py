"""Prices in words (tariffs.wording): OCPI units (per hour, seconds, Wh) read as staff say them."""

from tariffs.wording import describe_elements


def test_energy_then_time_after_the_first_hour_reads_as_staff_say_it():
    elements = [
        {"price_components": [{"type": "ENERGY", "price": "0.35", "vat": "20", "step_size": 1}]},
        {
            "price_components": [{"type": "TIME", "price": "3.00", "vat": "20", "step_size": 60}],
            "restrictions": {"min_duration": 3600},
        },
    ]
    assert describe_elements(elements, "EUR") == (
        "0.35 €/kWh; from the 61st minute 3.00 €/h billed per minute (excl. VAT; VAT 20 %)"
    )


def test_flat_fee_night_parking_and_energy_steps_name_their_units():
    elements = [
        {"price_components": [{"type": "FLAT", "price": "1", "step_size": 1}]},
        {
            "price_components": [
                {"type": "PARKING_TIME", "price": "2.5", "step_size": 900},
                {"type": "ENERGY", "price": "0.2512", "step_size": 1000},
            ],
            "restrictions": {
                "start_time": "22:00",
                "end_time": "06:00",
                "day_of_week": ["SUNDAY", "SATURDAY"],
                "max_power": "22.00",
                "max_duration": 7200,
            },
        },
    ]
    assert describe_elements(elements, "CHF") == (
        "1.00 CHF per session; up to the 120th minute, from 22:00 to 06:00, on Saturday and "
        "Sunday, below 22 kW parking 2.50 CHF/h billed per 15 minutes, 0.2512 CHF/kWh "
        "billed per kWh"
    )
