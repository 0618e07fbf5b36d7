"""What a real account would refuse: record the bot's AWS calls and check them.

``recording`` sees every botocore call a Lambda handler makes and names the function;
``template_policies`` reads each function's role from ``template.yaml``; ``permissions``
turns a call into the IAM actions (dependent actions included) and resources AWS
authorises; ``checks`` compares the two and validates requests against the service
models; ``scenarios`` drives the migrations the checks need.
"""
