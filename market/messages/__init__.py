"""Messages: the one outbox for e-mail, SMS and WhatsApp (DESIGN.md: "Messages go through one
outbox").

* `outbox.py`: `notify(notice, event=…, about=…, to=[Recipient…], context=…)`, called in the
  transaction of the event, writes one `Message` row per recipient and channel.
* `recipients.py`: who, and on which channels in her order (`Recipient`).
* `sending.py`: the worker sends each row once, retries with backoff, falls back to her next
  channel; `messages_send_due` picks up what is due.
* `providers.py`: e-mail (Django's mail), Twilio (SMS, WhatsApp), console.
* `sms.py`: GSM-7, segments; `whatsapp_templates.py`: the approved templates.
* `views.py`: Twilio's signed delivery callbacks and "PARE" replies.
"""
